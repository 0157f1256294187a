{{/* Full name: the release name, or "<release>-maie-operator" when the release name lacks the chart name. */}}
{{- define "maie-operator.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "maie-operator.serviceAccountName" -}}
{{- default (include "maie-operator.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{/*
repository:tag, repository@digest when image.digest is set (no tag given),
or repository:tag@digest when both are.
*/}}
{{- define "maie-operator.image" -}}
{{- if .Values.image.digest -}}
{{- if .Values.image.tag -}}
{{- printf "%s:%s@%s" .Values.image.repository .Values.image.tag .Values.image.digest -}}
{{- else -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- end -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "maie-operator.selectorLabels" -}}
app.kubernetes.io/name: maie
app.kubernetes.io/component: operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "maie-operator.labels" -}}
{{ include "maie-operator.selectorLabels" . }}
app.kubernetes.io/part-of: maie
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

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

{{/*
The operator's rules on MaieDeployments and their children: exactly
config/rbac/role.yaml's (a test compares them). A ClusterRole with
rbac.scope=cluster, a Role in the watched namespace with rbac.scope=namespace.
*/}}
{{- define "maie-operator.rules" -}}
- apiGroups: ["maie.io"]
  resources: ["maiedeployments"]
  verbs: ["list", "watch"]
- apiGroups: ["maie.io"]
  resources: ["maiedeployments/status"]
  verbs: ["patch"]
- apiGroups: ["maie.io"]
  resources: ["maiedeployments/finalizers"]
  verbs: ["update"]
- apiGroups: [""]
  resources: ["serviceaccounts", "services", "configmaps"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: [""]
  resources: ["persistentvolumeclaims"]
  verbs: ["get", "list", "watch", "create", "patch"]
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["batch"]
  resources: ["cronjobs"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["batch"]
  resources: ["jobs"]
  verbs: ["list", "watch"]
# Scorer pods are listed to ask each which model it serves (status.model).
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["list"]
- apiGroups: ["networking.k8s.io"]
  resources: ["ingresses", "networkpolicies"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["autoscaling"]
  resources: ["horizontalpodautoscalers"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["policy"]
  resources: ["poddisruptionbudgets"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["monitoring.coreos.com"]
  resources: ["servicemonitors", "prometheusrules"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create"]
{{- end -}}

{{/*
The namespace the operator watches: watchNamespace, or with
rbac.scope=namespace the release namespace when watchNamespace is empty
(a namespaced install must watch exactly the namespace of its Role).
*/}}
{{- define "maie-operator.watchNamespace" -}}
{{- if eq .Values.rbac.scope "namespace" -}}
{{- default .Release.Namespace .Values.watchNamespace -}}
{{- else -}}
{{- .Values.watchNamespace -}}
{{- end -}}
{{- end -}}

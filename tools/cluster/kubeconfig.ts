import { stringify } from "yaml";

export interface KubeconfigInput {
  readonly server: string;
  readonly caCert: string;
  readonly user: { readonly name: string } & (
    { readonly clientCert: string; readonly clientKey: string } | { readonly token: string }
  );
  readonly namespace?: string;
}

/** A one-cluster, one-user kubeconfig (pure: returns the YAML text). */
export function renderKubeconfig(input: KubeconfigInput): string {
  const user =
    "token" in input.user
      ? { token: input.user.token }
      : { "client-certificate": input.user.clientCert, "client-key": input.user.clientKey };
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      { name: "maie-test", cluster: { server: input.server, "certificate-authority": input.caCert } },
    ],
    users: [{ name: input.user.name, user }],
    contexts: [
      {
        name: "maie-test",
        context: {
          cluster: "maie-test",
          user: input.user.name,
          ...(input.namespace !== undefined && { namespace: input.namespace }),
        },
      },
    ],
    "current-context": "maie-test",
  });
}

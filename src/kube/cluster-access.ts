/**
 * What a client needs to reach an apiserver: its URL, the TLS material of
 * the connection, and the headers of each request (read per request, since
 * tokens rotate). A kubeconfig (kubeconfig-access.ts) and a pod's service
 * account (in-cluster.ts) each give one.
 */
export interface ClusterAccess {
  readonly server: string;
  readonly tls: TlsMaterial;
  headers(): Promise<Record<string, string>>;
}

export interface TlsMaterial {
  readonly ca?: Buffer | string;
  readonly cert?: Buffer | string;
  readonly key?: Buffer | string;
  readonly rejectUnauthorized?: boolean;
}

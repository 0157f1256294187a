import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Certificates and keys of a throwaway control plane, all under one directory. */
export interface ControlPlaneCerts {
  readonly caCert: string;
  readonly caKey: string;
  readonly servingCert: string;
  readonly servingKey: string;
  /** Client certificate of the admin user (group system:masters). */
  readonly adminCert: string;
  readonly adminKey: string;
  /** Service-account token signing key pair. */
  readonly saKey: string;
  readonly saPub: string;
  /** kube-apiserver's client certificate towards kubelets (logs, exec, port-forward). */
  readonly kubeletClientCert: string;
  readonly kubeletClientKey: string;
}

/** A certificate and its key, signed by the control plane's CA. */
export interface IssuedCert {
  readonly cert: string;
  readonly key: string;
}

const CLIENT_EXT = "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n";
const DAYS = "3650";

async function openssl(args: string[]): Promise<void> {
  await run("openssl", args);
}

/**
 * A CA, a serving certificate for 127.0.0.1/localhost, an admin client
 * certificate in system:masters, and a service-account signing key: what
 * kube-apiserver needs for TLS, client-cert authentication and tokens.
 * openssl is used because Node can sign nothing but raw data.
 */
export async function generateCerts(dir: string): Promise<ControlPlaneCerts> {
  const p = (f: string) => join(dir, f);
  const certs: ControlPlaneCerts = {
    caCert: p("ca.crt"),
    caKey: p("ca.key"),
    servingCert: p("apiserver.crt"),
    servingKey: p("apiserver.key"),
    adminCert: p("admin.crt"),
    adminKey: p("admin.key"),
    saKey: p("sa.key"),
    saPub: p("sa.pub"),
    kubeletClientCert: p("apiserver-kubelet-client.crt"),
    kubeletClientKey: p("apiserver-kubelet-client.key"),
  };
  const days = DAYS;
  await openssl([
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    certs.caKey,
    "-out",
    certs.caCert,
    "-days",
    days,
    "-subj",
    "/CN=maie-test-ca",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);

  const ext = p("serving.ext");
  await writeFile(
    ext,
    "subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n",
  );
  await signed(certs.servingKey, certs.servingCert, "/CN=kube-apiserver", ext, certs, days);

  const clientExt = p("client.ext");
  await writeFile(clientExt, CLIENT_EXT);
  await signed(certs.adminKey, certs.adminCert, "/O=system:masters/CN=maie-admin", clientExt, certs, days);
  // kubeadm's choice: the apiserver reaches kubelets as a system:masters client.
  await signed(
    certs.kubeletClientKey,
    certs.kubeletClientCert,
    "/O=system:masters/CN=kube-apiserver-kubelet-client",
    clientExt,
    certs,
    days,
  );

  await openssl(["genrsa", "-out", certs.saKey, "2048"]);
  await openssl(["rsa", "-in", certs.saKey, "-pubout", "-out", certs.saPub]);
  return certs;
}

async function signed(
  key: string,
  cert: string,
  subject: string,
  extFile: string,
  ca: ControlPlaneCerts,
  days: string,
) {
  const csr = `${cert}.csr`;
  await openssl([
    "req",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    key,
    "-out",
    csr,
    "-subj",
    subject,
  ]);
  await openssl([
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    ca.caCert,
    "-CAkey",
    ca.caKey,
    "-CAcreateserial",
    "-out",
    cert,
    "-days",
    days,
    "-extfile",
    extFile,
  ]);
}

/** A client certificate (e.g. a kubelet's identity: O=system:nodes, CN=system:node:NAME). */
export async function issueClientCert(
  ca: ControlPlaneCerts,
  dir: string,
  name: string,
  subject: string,
): Promise<IssuedCert> {
  const issued = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  const ext = join(dir, `${name}.ext`);
  await writeFile(ext, CLIENT_EXT);
  await signed(issued.key, issued.cert, subject, ext, ca, DAYS);
  return issued;
}

/** A serving certificate for the given IP addresses and DNS names. */
export async function issueServingCert(
  ca: ControlPlaneCerts,
  dir: string,
  name: string,
  ips: readonly string[],
  dnsNames: readonly string[],
): Promise<IssuedCert> {
  const issued = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  const ext = join(dir, `${name}.ext`);
  const sans = [...ips.map((ip) => `IP:${ip}`), ...dnsNames.map((d) => `DNS:${d}`)].join(",");
  await writeFile(
    ext,
    `subjectAltName=${sans}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n`,
  );
  await signed(issued.key, issued.cert, `/CN=${name}`, ext, ca, DAYS);
  return issued;
}

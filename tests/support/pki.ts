/**
 * Certificates for one test run, made with Debian's `openssl`: one certificate authority per party (in the
 * real-controller suite: the clusters' API servers, the OCI registry, the GitHub stand-in), so a client that
 * trusts the wrong CA fails, and serving certificates for 127.0.0.1. Nothing is reused across runs.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface Authority {
  readonly name: string;
  /** PEM of the CA certificate (what a client trusts). */
  readonly caPem: string;
  readonly caFile: string;
  readonly caKeyFile: string;
}

export interface ServingCert {
  readonly certFile: string;
  readonly keyFile: string;
  readonly certPem: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

/** `openssl req` arguments for a new EC P-256 key (unencrypted) into `keyFile`. */
const newEcKey = (keyFile: string): string[] => [
  "-nodes",
  "-newkey",
  "ec",
  "-pkeyopt",
  "ec_paramgen_curve:prime256v1",
  "-keyout",
  keyFile,
];

/** A new CA (EC P-256, valid one day) named `name`, files in `dir`. */
export function newAuthority(dir: string, name: string): Authority {
  const key = join(dir, `${name}-ca.key`);
  const crt = join(dir, `${name}-ca.crt`);
  openssl(
    [
      "req",
      "-x509",
      "-new",
      ...newEcKey(key),
      "-out",
      crt,
      "-days",
      "1",
      "-subj",
      `/CN=promotion-pipeline test ${name} CA`,
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ],
    dir,
  );
  return { name, caPem: readFileSync(crt, "utf8"), caFile: crt, caKeyFile: key };
}

/**
 * A serving certificate for 127.0.0.1 and localhost, signed by `ca`; `extraSans` adds subject alternative
 * names (`DNS:x`, `IP:y`), e.g. the `kubernetes.default.svc` names of a real API server's certificate.
 */
export function servingCert(
  dir: string,
  ca: Authority,
  name: string,
  extraSans: readonly string[] = [],
): ServingCert {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const crt = join(dir, `${name}.crt`);
  const ext = join(dir, `${name}.ext`);
  openssl(["req", "-new", ...newEcKey(key), "-out", csr, "-subj", `/CN=${name}`], dir);
  writeFileSync(
    ext,
    "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n" +
      `extendedKeyUsage=serverAuth\nsubjectAltName=${["IP:127.0.0.1", "DNS:localhost", ...extraSans].join(",")}\n`,
  );
  openssl(
    [
      "x509",
      "-req",
      "-in",
      csr,
      "-CA",
      ca.caFile,
      "-CAkey",
      ca.caKeyFile,
      "-CAcreateserial",
      "-out",
      crt,
      "-days",
      "1",
      "-extfile",
      ext,
    ],
    dir,
  );
  return { certFile: crt, keyFile: key, certPem: readFileSync(crt, "utf8") };
}

/** An RSA key pair for service-account token signing (kube-apiserver requires one). */
export function serviceAccountKeys(dir: string): { keyFile: string; pubFile: string } {
  const keyFile = join(dir, "sa.key");
  const pubFile = join(dir, "sa.pub");
  openssl(
    ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", keyFile],
    dir,
  );
  openssl(["pkey", "-in", keyFile, "-pubout", "-out", pubFile], dir);
  return { keyFile, pubFile };
}

/**
 * Fixed cosign-style public keys (PEM `PUBLIC KEY`, ECDSA P-256, what `cosign generate-key-pair` writes to
 * cosign.pub) for unit tests of key-based signing: config, rendering, workflow models. Public halves only;
 * their private halves were never kept. The e2e tests generate real pairs with cosign instead.
 */
export const BUILD_PUBLIC_KEY =
  "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEw7WAHqM94MtPjBTXZY9knjahmMsS\n4MWm0DLpZhz8ya77fEYVpVA0Ze1i0LPNhG3OMn5vjSXsGbKgx+2hnJdEVA==\n-----END PUBLIC KEY-----\n";
export const PROMOTE_PUBLIC_KEY =
  "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEZBwOB7mOB4CDfygPBdyrY3jC5493\nay/8LCUiShW4vXw7hMwVIOgXyOztA5HbD+YtP7cRXqY6u9RvpVZNhyALcg==\n-----END PUBLIC KEY-----\n";
/** A valid public key on secp256k1, a curve cosign does not sign with. */
export const SECP256K1_PUBLIC_KEY =
  "-----BEGIN PUBLIC KEY-----\nMFYwEAYHKoZIzj0CAQYFK4EEAAoDQgAEat4SZKK7bsouEj9Dptp9+ssS7BR2L2I4\njQNMSobrACvixG+gkBOBzJUgzB23egBjr59iuaA10deief+/fZ3/NQ==\n-----END PUBLIC KEY-----\n";

/** `signing` in key mode with the default secret names. */
export const KEY_SIGNING = {
  mode: "key",
  build: { publicKey: BUILD_PUBLIC_KEY },
  promote: { publicKey: PROMOTE_PUBLIC_KEY },
} as const;

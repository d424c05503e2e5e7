/**
 * A self-signed CA certificate for the tests of `registryCA` and `github.caPem` (public; its key was
 * discarded when it was made with `openssl req -x509 -newkey ec`).
 */
export const TEST_CA_PEM = `-----BEGIN CERTIFICATE-----
MIIBoDCCAUegAwIBAgIUQY3zY3MUlXCL+OUPDJbDjDQptf0wCgYIKoZIzj0EAwIw
JTEjMCEGA1UEAwwacHJvbW90aW9uLXBpcGVsaW5lIHRlc3QgQ0EwIBcNMjYxMjAx
MDUyMTQ4WhgPMjEyNjExMDcwNTIxNDhaMCUxIzAhBgNVBAMMGnByb21vdGlvbi1w
aXBlbGluZSB0ZXN0IENBMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEc+nw75Yc
rKuH04P+GFbqKMKPi/jm5rcgIFYt4AVQrAIdlvgufSHE+eESnncsJ/vmMNf/1+jf
H4t4mezyEx4PbqNTMFEwHQYDVR0OBBYEFDOYtgagdLvZhAuHHLvRTPuEKfqjMB8G
A1UdIwQYMBaAFDOYtgagdLvZhAuHHLvRTPuEKfqjMA8GA1UdEwEB/wQFMAMBAf8w
CgYIKoZIzj0EAwIDRwAwRAIgV9GZkssiLfcO+eZGt4q1rfBbb/uKr0r9mXDN0bne
pRMCIB6ef9TDfdLfhZoYkWbfSToFIOIPsHC/v1mZSEO9qwTG
-----END CERTIFICATE-----
`;

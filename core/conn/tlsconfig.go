package conn

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// TLSConfig builds client TLS settings: the CAs in caFile (PEM; "" = the
// system roots), verification on unless skipVerify, serverName overriding
// the name verified ("" = the host connected to).
func TLSConfig(caFile string, skipVerify bool, serverName string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: skipVerify, ServerName: serverName}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("%w: reading CA file: %v", ErrTLS, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%w: no certificate found in %s", ErrTLS, caFile)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

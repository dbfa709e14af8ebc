package harness

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// ServingNames are the DNS names a pod may use for the API server; the serving cert carries them all, and 127.0.0.1.
var ServingNames = []string{"kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"}

// CA is a certificate authority made for one test run.
type CA struct {
	Cert    *x509.Certificate
	CertPEM []byte
	key     crypto.Signer
}

// NewCA makes a self-signed CA named cn; tests make a second one to show a wrong ca.crt is refused.
func NewCA(cn string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), key: key}, nil
}

// KeyPair is a leaf certificate and its key, PEM-encoded as the API server and net/http read them.
type KeyPair struct {
	CertPEM []byte
	KeyPEM  []byte
}

// Issue signs a leaf certificate: a server cert when dnsNames or ips are given, else a client cert for cn in orgs.
func (ca *CA) Issue(cn string, orgs []string, dnsNames []string, ips []net.IP) (KeyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return KeyPair{}, err
	}
	usage := []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	if len(dnsNames) > 0 || len(ips) > 0 {
		usage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: cn, Organization: orgs},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  usage,
		DNSNames:     dnsNames,
		IPAddresses:  ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.key)
	if err != nil {
		return KeyPair{}, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return KeyPair{}, err
	}
	return KeyPair{
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}, nil
}

// PKI is every file the API server needs, written under one folder.
type PKI struct {
	CA *CA
	// SAKey signs service-account tokens; tests re-sign a real token with it to make one that has expired.
	SAKey *rsa.PrivateKey
	// Files, by their role.
	CAFile, ServingCertFile, ServingKeyFile, AdminCertFile, AdminKeyFile, SAKeyFile, SAPubFile string
}

// NewPKI writes a CA, the serving cert, an admin client cert in system:masters and the service-account signing key
// into dir. The serving cert also carries servingIPs: a node's pods reach the API server at its Service's ClusterIP.
func NewPKI(dir string, servingIPs ...net.IP) (*PKI, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	ca, err := NewCA("kcurl-e2e-ca")
	if err != nil {
		return nil, err
	}
	serving, err := ca.Issue("kube-apiserver", nil, ServingNames, append([]net.IP{net.IPv4(127, 0, 0, 1)}, servingIPs...))
	if err != nil {
		return nil, err
	}
	// system:masters bypasses RBAC, so setup calls never depend on the roles under test.
	admin, err := ca.Issue("kcurl-e2e-admin", []string{"system:masters"}, nil, nil)
	if err != nil {
		return nil, err
	}
	// RSA because RS256 is what every service-account token verifier accepts.
	saKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	saKeyDER, err := x509.MarshalPKCS8PrivateKey(saKey)
	if err != nil {
		return nil, err
	}
	saPubDER, err := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	if err != nil {
		return nil, err
	}
	p := &PKI{
		CA:              ca,
		SAKey:           saKey,
		CAFile:          filepath.Join(dir, "ca.crt"),
		ServingCertFile: filepath.Join(dir, "apiserver.crt"),
		ServingKeyFile:  filepath.Join(dir, "apiserver.key"),
		AdminCertFile:   filepath.Join(dir, "admin.crt"),
		AdminKeyFile:    filepath.Join(dir, "admin.key"),
		SAKeyFile:       filepath.Join(dir, "sa.key"),
		SAPubFile:       filepath.Join(dir, "sa.pub"),
	}
	for name, data := range map[string][]byte{
		p.CAFile:          ca.CertPEM,
		p.ServingCertFile: serving.CertPEM,
		p.ServingKeyFile:  serving.KeyPEM,
		p.AdminCertFile:   admin.CertPEM,
		p.AdminKeyFile:    admin.KeyPEM,
		p.SAKeyFile:       pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: saKeyDER}),
		p.SAPubFile:       pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: saPubDER}),
	} {
		if err := os.WriteFile(name, data, 0o600); err != nil {
			return nil, fmt.Errorf("writing %s: %w", name, err)
		}
	}
	return p, nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return n
}

package harness

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// ExpireToken returns token, minted by this cluster, with its validity moved back so that it expired ago
// (the API server allows a minute of clock skew, so ago must exceed that), re-signed with the cluster's
// service-account key. Everything else, the key id and the bound ServiceAccount, stays as minted, so the API server
// refuses it only for being expired. TokenRequest's shortest lifetime is 10 minutes: a test cannot wait for one.
func (c *Cluster) ExpireToken(token string, ago time.Duration) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", errors.New("not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", err
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return "", err
	}
	iat, _ := claims["iat"].(float64)
	exp, _ := claims["exp"].(float64)
	lifetime := exp - iat
	expired := time.Now().Add(-ago).Unix()
	claims["exp"] = expired
	claims["iat"] = expired - int64(lifetime)
	claims["nbf"] = expired - int64(lifetime)
	payload, err = json.Marshal(claims)
	if err != nil {
		return "", err
	}
	signed := parts[0] + "." + base64.RawURLEncoding.EncodeToString(payload)
	digest := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, c.PKI.SAKey, crypto.SHA256, digest[:])
	if err != nil {
		return "", err
	}
	return signed + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

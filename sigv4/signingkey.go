package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"sync"
)

// keyCacheSize bounds the derived-key cache. A key is valid for one
// (secret, date, region, service), so a server sees a handful per user per day.
const keyCacheSize = 256

// keyCacheKey identifies a derived signing key. It holds the secret because
// the key depends on it: a rotated secret must not hit a stale entry.
type keyCacheKey struct {
	secret, date, region, service string
}

// keyCache memoises signing keys, which cost four HMACs each. When full it
// drops an arbitrary entry. It is safe for concurrent use.
type keyCache struct {
	mu   sync.Mutex
	keys map[keyCacheKey][]byte
}

// get returns the signing key for the given secret and scope, deriving and
// caching it if needed. The returned slice must not be modified.
func (c *keyCache) get(secret, date, region, service string) []byte {
	k := keyCacheKey{secret, date, region, service}
	c.mu.Lock()
	key, ok := c.keys[k]
	c.mu.Unlock()
	if ok {
		return key
	}
	key = deriveKey(secret, date, region, service)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keys == nil {
		c.keys = make(map[keyCacheKey][]byte, keyCacheSize)
	}
	if len(c.keys) >= keyCacheSize {
		for old := range c.keys {
			delete(c.keys, old)
			break
		}
	}
	c.keys[k] = key
	return key
}

// deriveKey computes the SigV4 signing key:
// HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request").
func deriveKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, scopeTerminal)
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// stringToSign builds the SigV4 string to sign for a canonical request.
func stringToSign(amzDate, scope, canonicalRequest string) string {
	sum := sha256.Sum256([]byte(canonicalRequest))
	return algorithm + "\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
}

// match reports which candidate canonical request (prefix + payloadHash), if
// any, the client's signature covers; it returns -1 when none does. The
// comparison is constant-time per candidate.
func match(key, want []byte, amzDate, scope string, prefixes []string, payloadHash string) int {
	for i, p := range prefixes {
		got := hmacSHA256(key, stringToSign(amzDate, scope, p+payloadHash))
		if hmac.Equal(got, want) {
			return i
		}
	}
	return -1
}

// mismatch builds the ErrSignatureMismatch error, carrying the server's
// preferred canonical request and string to sign for the client to compare.
func mismatch(accessKeyID, amzDate, scope, prefix, payloadHash string) *Error {
	e := newError(ErrSignatureMismatch, "signature does not match the request for access key "+clip(accessKeyID))
	e.CanonicalRequest = prefix + payloadHash
	e.StringToSign = stringToSign(amzDate, scope, e.CanonicalRequest)
	return e
}

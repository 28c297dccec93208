package engine

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jointcloud/jcs/kv"
)

// Users and access keys. The root user (RootUserID) is implicit: its keys come from the
// server's configuration, not the index. Every other user is created by root, signs with its
// own access keys, and owns the buckets it creates.

// User is an account that owns buckets.
type User struct {
	ID         UserID
	Name       string
	CreateTime time.Time
}

// AccessKey signs requests on behalf of a user.
type AccessKey struct {
	ID         string
	Secret     string // empty when listed
	User       UserID
	CreateTime time.Time
}

const (
	userRecordV1      = 1 // ID, name, create time
	accessKeyRecordV1 = 1 // user, sealed secret, create time
)

func userKey(id UserID) []byte       { return kv.Key(kv.PrefixUser).Uint64(uint64(id)) }
func userNameKey(name string) []byte { return kv.Key(kv.PrefixUserName).String(name) }
func accessKeyKey(id string) []byte  { return kv.Key(kv.PrefixAccessKey).String(id) }
func newSeal(key []byte) (cipher.AEAD, error) {
	if key == nil {
		key = make([]byte, 32)
		rand.Read(key)
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("engine: seal key: %w", err)
	}
	return cipher.NewGCM(b)
}

// sealSecret encrypts a secret with the seal key; the access key ID is bound in as associated
// data, so a sealed secret cannot be moved to another key's record.
func (e *Engine) sealSecret(keyID, secret string) ([]byte, error) {
	seal, err := e.seal()
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, seal.NonceSize(), seal.NonceSize()+len(secret)+seal.Overhead())
	rand.Read(nonce)
	return seal.Seal(nonce, nonce, []byte(secret), []byte(keyID)), nil
}

func (e *Engine) openSecret(keyID string, sealed []byte) (string, error) {
	seal, err := e.seal()
	if err != nil {
		return "", err
	}
	n := seal.NonceSize()
	if len(sealed) < n {
		return "", errors.New("engine: sealed secret too short")
	}
	plain, err := seal.Open(nil, sealed[:n], sealed[n:], []byte(keyID))
	if err != nil {
		return "", fmt.Errorf("engine: cannot unseal the secret of access key %q (a different seal key?)", keyID)
	}
	return string(plain), nil
}

func encodeUser(u *User) []byte {
	var e kv.Encoder
	e.Version(userRecordV1)
	e.Uint64(uint64(u.ID))
	e.String(u.Name)
	e.Time(u.CreateTime)
	return e.Bytes()
}

func decodeUser(v []byte) (User, error) {
	d := kv.NewDecoder(v)
	if ver := d.Version(); ver != userRecordV1 && d.Err() == nil {
		return User{}, fmt.Errorf("engine: user record version %d unsupported", ver)
	}
	u := User{ID: UserID(d.Uint64()), Name: d.String()}
	u.CreateTime = d.Time()
	return u, finish(d)
}

func getUser(r kv.Reader, id UserID) (User, error) {
	v, err := get(r, userKey(id), func() error { return notFound("user %d not found", id) })
	if err != nil {
		return User{}, err
	}
	return decodeUser(v)
}

// validateUserName allows what fits in a URL path segment and a log line unquoted.
func validateUserName(name string) error {
	if name == "" || len(name) > 64 {
		return errors.New("user name must have 1 to 64 characters")
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_.@", c)) {
			return errors.New("user name may contain only letters, digits and -_.@")
		}
	}
	return nil
}

// CreateUser creates a user. Errors: KindInvalid for a bad name, KindAlreadyExists if taken.
func (e *Engine) CreateUser(ctx context.Context, name string) (User, error) {
	const op = "engine.CreateUser"
	if err := validateUserName(name); err != nil {
		return User{}, &Error{Op: op, Kind: KindInvalid, Err: err}
	}
	var id uint64
	for id <= uint64(RootUserID) { // IDs up to root's are never handed out
		var err error
		if id, err = e.seqUser.Next(ctx); err != nil {
			return User{}, wrap(op, err)
		}
	}
	u := User{ID: UserID(id), Name: name, CreateTime: e.now()}
	err := e.kv.Update(ctx, func(tx kv.Tx) error {
		if _, err := tx.Get(userNameKey(name)); err == nil {
			return errorf("", KindAlreadyExists, "user %q already exists", name)
		} else if !errors.Is(err, kv.ErrNotFound) {
			return err
		}
		return errors.Join(tx.Set(userKey(u.ID), encodeUser(&u)), tx.Set(userNameKey(name), encodeID(id)))
	})
	if err != nil {
		return User{}, wrap(op, err)
	}
	return u, nil
}

// GetUserByName returns a user. Errors: KindNotFound.
func (e *Engine) GetUserByName(ctx context.Context, name string) (User, error) {
	const op = "engine.GetUserByName"
	var u User
	err := e.kv.View(ctx, func(r kv.Reader) error {
		v, err := get(r, userNameKey(name), func() error { return notFound("user %q not found", name) })
		if err != nil {
			return err
		}
		id, err := decodeID(v)
		if err != nil {
			return err
		}
		u, err = getUser(r, UserID(id))
		return err
	})
	return u, wrap(op, err)
}

// ListUsers returns every user but root, ordered by name.
func (e *Engine) ListUsers(ctx context.Context) ([]User, error) {
	const op = "engine.ListUsers"
	var out []User
	err := e.kv.View(ctx, func(r kv.Reader) error {
		out = nil
		return scanPrefix(r, kv.Key(kv.PrefixUserName), func(_, v []byte) error {
			id, err := decodeID(v)
			if err != nil {
				return err
			}
			u, err := getUser(r, UserID(id))
			out = append(out, u)
			return err
		})
	})
	return out, wrap(op, err)
}

// DeleteUser deletes a user and its access keys. Errors: KindNotFound, KindNotEmpty while the
// user owns buckets.
func (e *Engine) DeleteUser(ctx context.Context, id UserID) error {
	const op = "engine.DeleteUser"
	err := e.kv.Update(ctx, func(tx kv.Tx) error {
		u, err := getUser(tx, id)
		if err != nil {
			return err
		}
		owns := false
		err = scanPrefix(tx, kv.Key(kv.PrefixBucket), func(_, v []byte) error {
			b, err := decodeBucket(v)
			owns = owns || b.Owner == id
			return err
		})
		if err != nil {
			return err
		}
		if owns {
			return errorf("", KindNotEmpty, "user %q still owns buckets", u.Name)
		}
		var keys [][]byte
		err = scanPrefix(tx, kv.Key(kv.PrefixAccessKey), func(k, v []byte) error {
			d := kv.NewDecoder(v)
			d.Version()
			if UserID(d.Uint64()) == id {
				keys = append(keys, append([]byte(nil), k...)) // k is the iterator's, reused by Next
			}
			return d.Err()
		})
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := tx.Delete(k); err != nil {
				return err
			}
		}
		return errors.Join(tx.Delete(userKey(id)), tx.Delete(userNameKey(u.Name)))
	})
	return wrap(op, err)
}

// CreateAccessKey makes a new access key for a user and returns it with its secret: the only
// time the secret is shown. Errors: KindNotFound for a missing user.
func (e *Engine) CreateAccessKey(ctx context.Context, user UserID) (AccessKey, error) {
	const op = "engine.CreateAccessKey"
	// rand.Text has 128 bits in 26 characters: the ID takes 85 of them, the secret 256.
	k := AccessKey{ID: "JCS" + rand.Text()[:17], Secret: rand.Text() + rand.Text(), User: user, CreateTime: e.now()}
	sealed, err := e.sealSecret(k.ID, k.Secret)
	if err != nil {
		return AccessKey{}, wrap(op, err)
	}
	err = e.kv.Update(ctx, func(tx kv.Tx) error {
		if _, err := getUser(tx, user); err != nil {
			return err
		}
		var enc kv.Encoder
		enc.Version(accessKeyRecordV1)
		enc.Uint64(uint64(user))
		enc.ByteSlice(sealed)
		enc.Time(k.CreateTime)
		return tx.Set(accessKeyKey(k.ID), enc.Bytes())
	})
	if err != nil {
		return AccessKey{}, wrap(op, err)
	}
	return k, nil
}

func (e *Engine) decodeAccessKey(id string, v []byte, withSecret bool) (AccessKey, error) {
	d := kv.NewDecoder(v)
	if ver := d.Version(); ver != accessKeyRecordV1 && d.Err() == nil {
		return AccessKey{}, fmt.Errorf("engine: access key record version %d unsupported", ver)
	}
	k := AccessKey{ID: id, User: UserID(d.Uint64())}
	sealed := d.ByteSlice()
	k.CreateTime = d.Time()
	if err := finish(d); err != nil {
		return AccessKey{}, err
	}
	if withSecret {
		var err error
		if k.Secret, err = e.openSecret(id, sealed); err != nil {
			return AccessKey{}, err
		}
	}
	return k, nil
}

// LookupAccessKey returns an access key with its secret, for verifying signatures. Errors:
// KindNotFound.
func (e *Engine) LookupAccessKey(ctx context.Context, id string) (AccessKey, error) {
	const op = "engine.LookupAccessKey"
	var k AccessKey
	err := e.kv.View(ctx, func(r kv.Reader) error {
		v, err := get(r, accessKeyKey(id), func() error { return notFound("access key not found") })
		if err != nil {
			return err
		}
		k, err = e.decodeAccessKey(id, v, true)
		return err
	})
	return k, wrap(op, err)
}

// ListAccessKeys returns a user's access keys without their secrets.
func (e *Engine) ListAccessKeys(ctx context.Context, user UserID) ([]AccessKey, error) {
	const op = "engine.ListAccessKeys"
	var out []AccessKey
	err := e.kv.View(ctx, func(r kv.Reader) error {
		out = nil
		return scanPrefix(r, kv.Key(kv.PrefixAccessKey), func(k, v []byte) error {
			ak, err := e.decodeAccessKey(string(k[1:]), v, false)
			if err == nil && ak.User == user {
				out = append(out, ak)
			}
			return err
		})
	})
	return out, wrap(op, err)
}

// DeleteAccessKey deletes an access key. Errors: KindNotFound.
func (e *Engine) DeleteAccessKey(ctx context.Context, id string) error {
	const op = "engine.DeleteAccessKey"
	err := e.kv.Update(ctx, func(tx kv.Tx) error {
		if _, err := get(tx, accessKeyKey(id), func() error { return notFound("access key not found") }); err != nil {
			return err
		}
		return tx.Delete(accessKeyKey(id))
	})
	return wrap(op, err)
}

package engine

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space"
	"github.com/jointcloud/jcs/engine/space/memspace"
	"github.com/jointcloud/jcs/kv"
)

func (te *testEngine) user(t *testing.T, name string) User {
	t.Helper()
	u, err := te.CreateUser(t.Context(), name)
	require.NoError(t, err)
	return u
}

func (te *testEngine) accessKey(t *testing.T, u UserID) AccessKey {
	t.Helper()
	k, err := te.CreateAccessKey(t.Context(), u)
	require.NoError(t, err)
	return k
}

func sealKey(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func TestCreateUser(t *testing.T) {
	te := newTestEngine(t, withClock(stepClock()))
	ctx := t.Context()
	long := strings.Repeat("u", 64)
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"alice", true},
		{"Bob", true},
		{"a.b-c_d@example.com", true},
		{"0", true},
		{long, true},
		{"", false},
		{long + "u", false},
		{"a b", false},
		{"a/b", false},
		{"a:b", false},
		{"é", false},
		{"a\x00", false},
		{"a\n", false},
		{"a+b", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := te.CreateUser(ctx, tc.name)
			if !tc.ok {
				requireKind(t, KindInvalid, err)
				_, err := te.GetUserByName(ctx, tc.name)
				requireKind(t, KindNotFound, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.name, u.Name)
			require.Greater(t, u.ID, RootUserID, "user IDs never collide with root's")
			require.False(t, u.CreateTime.IsZero())
			got, err := te.GetUserByName(ctx, tc.name)
			require.NoError(t, err)
			require.Equal(t, u.ID, got.ID)
			require.Equal(t, u.Name, got.Name)
			requireSameTime(t, u.CreateTime, got.CreateTime, "create time")
		})
	}
	_, err := te.CreateUser(ctx, "alice")
	requireKind(t, KindAlreadyExists, err)
	alice, err := te.GetUserByName(ctx, "alice")
	require.NoError(t, err)
	require.Equal(t, "alice", alice.Name)

	users, err := te.ListUsers(ctx)
	require.NoError(t, err)
	var names []string
	seen := map[UserID]bool{}
	for _, u := range users {
		names = append(names, u.Name)
		require.False(t, seen[u.ID], "ID %d twice", u.ID)
		seen[u.ID] = true
	}
	want := []string{"alice", "Bob", "a.b-c_d@example.com", "0", long}
	slices.Sort(want)
	require.Equal(t, want, names, "every user but root, by name")
	_, err = te.GetUserByName(ctx, "nobody")
	requireKind(t, KindNotFound, err)

	// IDs keep growing across a restart.
	te.reopen(t)
	later := te.user(t, "later")
	for id := range seen {
		require.Greater(t, later.ID, id)
	}
}

// TestCreateUserRace creates one name from eight goroutines: exactly one succeeds.
func TestCreateUserRace(t *testing.T) {
	te := newTestEngine(t)
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { _, errs[i] = te.CreateUser(t.Context(), "dup") })
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		if err == nil {
			wins++
			continue
		}
		requireKind(t, KindAlreadyExists, err)
	}
	require.Equal(t, 1, wins)
	users, err := te.ListUsers(t.Context())
	require.NoError(t, err)
	require.Len(t, users, 1)
}

func TestAccessKeys(t *testing.T) {
	te := newTestEngine(t, withClock(stepClock()), withOptions(func(o *Options) { o.SealKey = sealKey(1) }))
	ctx := t.Context()
	alice, bob := te.user(t, "alice"), te.user(t, "bob")
	k1, k2 := te.accessKey(t, alice.ID), te.accessKey(t, alice.ID)
	kb := te.accessKey(t, bob.ID)
	for _, k := range []AccessKey{k1, k2, kb} {
		require.Regexp(t, "^JCS[A-Z2-7]{17}$", k.ID)
		require.Regexp(t, "^[A-Z2-7]{52}$", k.Secret)
		require.False(t, k.CreateTime.IsZero())
		got, err := te.LookupAccessKey(ctx, k.ID)
		require.NoError(t, err)
		require.Equal(t, k.ID, got.ID)
		require.Equal(t, k.Secret, got.Secret)
		require.Equal(t, k.User, got.User)
		requireSameTime(t, k.CreateTime, got.CreateTime, "create time")
	}
	require.Equal(t, alice.ID, k1.User)
	require.Equal(t, bob.ID, kb.User)
	require.NotEqual(t, k1.ID, k2.ID)
	require.NotEqual(t, k1.Secret, k2.Secret)

	listed, err := te.ListAccessKeys(ctx, alice.ID)
	require.NoError(t, err)
	require.Len(t, listed, 2)
	var ids []string
	for _, k := range listed {
		require.Empty(t, k.Secret, "listing never shows secrets")
		require.Equal(t, alice.ID, k.User)
		ids = append(ids, k.ID)
		want := k1
		if k.ID == k2.ID {
			want = k2
		}
		requireSameTime(t, want.CreateTime, k.CreateTime, "create time")
	}
	require.ElementsMatch(t, []string{k1.ID, k2.ID}, ids)
	listed, err = te.ListAccessKeys(ctx, bob.ID)
	require.NoError(t, err)
	require.Len(t, listed, 1)
	require.Equal(t, kb.ID, listed[0].ID)
	listed, err = te.ListAccessKeys(ctx, 9999)
	require.NoError(t, err)
	require.Empty(t, listed)

	require.NoError(t, te.DeleteAccessKey(ctx, k1.ID))
	_, err = te.LookupAccessKey(ctx, k1.ID)
	requireKind(t, KindNotFound, err)
	requireKind(t, KindNotFound, te.DeleteAccessKey(ctx, k1.ID))
	listed, err = te.ListAccessKeys(ctx, alice.ID)
	require.NoError(t, err)
	require.Len(t, listed, 1)
	require.Equal(t, k2.ID, listed[0].ID)
	got, err := te.LookupAccessKey(ctx, k2.ID)
	require.NoError(t, err)
	require.Equal(t, k2.Secret, got.Secret)

	_, err = te.CreateAccessKey(ctx, 9999)
	requireKind(t, KindNotFound, err)
	_, err = te.CreateAccessKey(ctx, RootUserID)
	requireKind(t, KindNotFound, err) // root's keys come from the configuration
	for _, id := range []string{"", "JCSNOSUCHKEY0000", k1.ID + "X", strings.ToLower(k2.ID)} {
		_, err = te.LookupAccessKey(ctx, id)
		requireKind(t, KindNotFound, err)
	}
}

// TestAccessKeysDistinct creates many keys: no ID or secret repeats.
func TestAccessKeysDistinct(t *testing.T) {
	te := newTestEngine(t)
	u := te.user(t, "u")
	ids, secrets := map[string]bool{}, map[string]bool{}
	for range 200 {
		k := te.accessKey(t, u.ID)
		require.False(t, ids[k.ID])
		require.False(t, secrets[k.Secret])
		ids[k.ID], secrets[k.Secret] = true, true
	}
	listed, err := te.ListAccessKeys(t.Context(), u.ID)
	require.NoError(t, err)
	require.Len(t, listed, 200)
}

// TestDeleteUser: a user who owns a bucket cannot be deleted; once the bucket is gone the
// user goes with all of its access keys, and nobody else's. Each user has several keys, so
// that deleting the wrong ones (say, whichever key the scan met last) cannot pass by luck.
func TestDeleteUser(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	alice, bob := te.user(t, "alice"), te.user(t, "bob")
	aliceKeys := []AccessKey{te.accessKey(t, alice.ID), te.accessKey(t, alice.ID), te.accessKey(t, alice.ID)}
	bobKeys := []AccessKey{te.accessKey(t, bob.ID), te.accessKey(t, bob.ID)}
	ka := aliceKeys[0]
	bkt, err := te.CreateBucket(ctx, CreateBucketInput{Name: "alices", Owner: alice.ID})
	require.NoError(t, err)
	require.Equal(t, alice.ID, bkt.Owner)
	te.bucket(t, "roots") // owned by root: no obstacle to anyone

	requireKind(t, KindNotEmpty, te.DeleteUser(ctx, alice.ID))
	_, err = te.GetUserByName(ctx, "alice")
	require.NoError(t, err, "a refused delete changes nothing")
	got, err := te.LookupAccessKey(ctx, ka.ID)
	require.NoError(t, err)
	require.Equal(t, ka.Secret, got.Secret)

	require.NoError(t, te.DeleteBucket(ctx, bkt.ID))
	require.NoError(t, te.DeleteUser(ctx, alice.ID))
	_, err = te.GetUserByName(ctx, "alice")
	requireKind(t, KindNotFound, err)
	_, err = te.CreateBucket(ctx, CreateBucketInput{Name: "orphan", Owner: alice.ID})
	requireKind(t, KindNotFound, err)
	_, err = te.GetBucketByName(ctx, "orphan")
	requireKind(t, KindNotFound, err) // no bucket owned by a deleted user
	for _, k := range aliceKeys {
		_, err = te.LookupAccessKey(ctx, k.ID)
		requireKind(t, KindNotFound, err)
	}
	listed, err := te.ListAccessKeys(ctx, alice.ID)
	require.NoError(t, err)
	require.Empty(t, listed)
	for _, k := range bobKeys {
		got, err = te.LookupAccessKey(ctx, k.ID)
		require.NoError(t, err, "other users' keys stay")
		require.Equal(t, k.Secret, got.Secret)
	}
	listed, err = te.ListAccessKeys(ctx, bob.ID)
	require.NoError(t, err)
	require.Len(t, listed, len(bobKeys))
	require.Equal(t, len(bobKeys), te.rawCount(t, kv.Key(kv.PrefixAccessKey)), "no access key record outlives its user")
	users, err := te.ListUsers(ctx)
	require.NoError(t, err)
	require.Len(t, users, 1)
	require.Equal(t, "bob", users[0].Name)

	requireKind(t, KindNotFound, te.DeleteUser(ctx, alice.ID))
	requireKind(t, KindNotFound, te.DeleteUser(ctx, 9999))
	again := te.user(t, "alice")
	require.NotEqual(t, alice.ID, again.ID, "a new user with the old name is a new user")
	listed, err = te.ListAccessKeys(ctx, again.ID)
	require.NoError(t, err)
	require.Empty(t, listed)

	// A bucket whose name was reused by another owner does not count.
	_, err = te.CreateBucket(ctx, CreateBucketInput{Name: "alices", Owner: bob.ID})
	require.NoError(t, err)
	require.NoError(t, te.DeleteUser(ctx, again.ID))
	requireKind(t, KindNotEmpty, te.DeleteUser(ctx, bob.ID))
}

// userEngine is an engine over a store in an in-memory file system the test can read.
type userEngine struct {
	fs    vfs.FS
	store *kv.Store
	*Engine
}

// openUserEngine opens an engine over the store in fs with the given seal key. It has no user
// spaces: users and keys need none.
func openUserEngine(t *testing.T, fs vfs.FS, key []byte) *userEngine {
	t.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	store, err := kv.Open("db", &kv.Options{FS: fs, Logger: quiet})
	require.NoError(t, err)
	e, err := New(t.Context(), Options{Store: store, SealKey: key, Logger: quiet, GCInterval: time.Hour,
		OpenSpace: func(context.Context, UserSpace) (space.Space, error) { return memspace.New(), nil }})
	require.NoError(t, err)
	ue := &userEngine{fs: fs, store: store, Engine: e}
	t.Cleanup(func() { ue.close(t) })
	return ue
}

func (ue *userEngine) close(t *testing.T) {
	if ue.Engine == nil {
		return
	}
	require.NoError(t, ue.Engine.Close())
	require.NoError(t, ue.store.Close())
	ue.Engine = nil
}

// rawContains reports whether any record of the store, key or value, contains b.
func rawContains(t *testing.T, store *kv.Store, b []byte) bool {
	t.Helper()
	found := false
	require.NoError(t, store.View(t.Context(), func(r kv.Reader) error {
		it := r.Iter(nil, nil)
		for ok := it.First(); ok && !found; ok = it.Next() {
			found = bytes.Contains(it.Key(), b) || bytes.Contains(it.Value(), b)
		}
		return it.Close()
	}))
	return found
}

// filesContain reports whether any file under dir in fs contains b.
func filesContain(t *testing.T, fs vfs.FS, dir string, b []byte) bool {
	t.Helper()
	names, err := fs.List(dir)
	require.NoError(t, err)
	for _, name := range names {
		path := fs.PathJoin(dir, name)
		if st, err := fs.Stat(path); err != nil || st.IsDir() {
			continue
		}
		f, err := fs.Open(path)
		require.NoError(t, err)
		data, err := io.ReadAll(f)
		require.NoError(t, f.Close())
		require.NoError(t, err)
		if bytes.Contains(data, b) {
			return true
		}
	}
	return false
}

// TestAccessKeySecretSealed looks for a secret in the index, record by record and in the
// store's files (WAL included): it must not be there in clear, nor the seal key. The key ID
// and user name, which are stored in clear, are found, so the search does see the data.
func TestAccessKeySecretSealed(t *testing.T) {
	fs := vfs.NewMem()
	ue := openUserEngine(t, fs, sealKey(7))
	u, err := ue.CreateUser(t.Context(), "secretive")
	require.NoError(t, err)
	var keys []AccessKey
	for range 5 {
		k, err := ue.CreateAccessKey(t.Context(), u.ID)
		require.NoError(t, err)
		keys = append(keys, k)
	}
	require.NoError(t, ue.store.Sync())
	for _, k := range keys {
		require.True(t, rawContains(t, ue.store, []byte(k.ID)), "the search sees the records")
		require.True(t, filesContain(t, fs, "db", []byte(k.ID)), "the search sees the files")
		require.False(t, rawContains(t, ue.store, []byte(k.Secret)), "secret in clear in a record")
		require.False(t, filesContain(t, fs, "db", []byte(k.Secret)), "secret in clear in a file")
		// Nor any 16-byte run of it.
		for i := 0; i+16 <= len(k.Secret); i += 8 {
			require.False(t, rawContains(t, ue.store, []byte(k.Secret[i:i+16])))
		}
	}
	require.True(t, filesContain(t, fs, "db", []byte("secretive")))
	require.False(t, rawContains(t, ue.store, sealKey(7)), "the seal key stays outside the index")
	require.False(t, filesContain(t, fs, "db", sealKey(7)), "the seal key stays outside the index")

	// After a restart with the same seal key, from the files alone, the secrets read back.
	ue.close(t)
	ue = openUserEngine(t, fs, sealKey(7))
	for _, k := range keys {
		got, err := ue.LookupAccessKey(t.Context(), k.ID)
		require.NoError(t, err)
		require.Equal(t, k.Secret, got.Secret)
	}
}

// TestAccessKeySealKey reopens the index with the same seal key (secrets read back), another
// key (LookupAccessKey fails, listing still works, nothing is damaged) and none (a random key
// per process: secrets do not survive, as Options.SealKey documents).
func TestAccessKeySealKey(t *testing.T) {
	te := newTestEngine(t, withOptions(func(o *Options) { o.SealKey = sealKey(1) }))
	ctx := t.Context()
	u := te.user(t, "u")
	k := te.accessKey(t, u.ID)

	te.reopen(t)
	got, err := te.LookupAccessKey(ctx, k.ID)
	require.NoError(t, err)
	require.Equal(t, k.Secret, got.Secret)

	te.cfg.opts.SealKey = sealKey(2)
	te.reopen(t)
	_, err = te.LookupAccessKey(ctx, k.ID)
	require.Error(t, err)
	require.NotEqual(t, KindNotFound, KindOf(err), "the key exists; its secret cannot be read")
	require.NotContains(t, err.Error(), k.Secret)
	listed, err := te.ListAccessKeys(ctx, u.ID)
	require.NoError(t, err)
	require.Len(t, listed, 1)
	// A key made under this seal key reads back under it.
	k2 := te.accessKey(t, u.ID)
	got, err = te.LookupAccessKey(ctx, k2.ID)
	require.NoError(t, err)
	require.Equal(t, k2.Secret, got.Secret)

	te.cfg.opts.SealKey = sealKey(1)
	te.reopen(t)
	got, err = te.LookupAccessKey(ctx, k.ID)
	require.NoError(t, err, "the wrong key damaged nothing")
	require.Equal(t, k.Secret, got.Secret)
	_, err = te.LookupAccessKey(ctx, k2.ID)
	require.Error(t, err)

	te.cfg.opts.SealKey = nil
	te.reopen(t)
	k3 := te.accessKey(t, u.ID)
	got, err = te.LookupAccessKey(ctx, k3.ID)
	require.NoError(t, err, "a random seal key works within the process")
	require.Equal(t, k3.Secret, got.Secret)
	te.reopen(t)
	_, err = te.LookupAccessKey(ctx, k3.ID)
	require.Error(t, err, "and its secrets do not survive a restart")
}

// TestSealedSecretBoundToKeyID moves a sealed record under another access key ID: the secret
// does not open there, since the ID is bound in.
func TestSealedSecretBoundToKeyID(t *testing.T) {
	te := newTestEngine(t, withOptions(func(o *Options) { o.SealKey = sealKey(3) }))
	ctx := t.Context()
	u := te.user(t, "u")
	k := te.accessKey(t, u.ID)
	const forged = "JCSFORGEDFORGED1"
	require.NoError(t, te.store.Update(ctx, func(tx kv.Tx) error {
		v, err := tx.Get(accessKeyKey(k.ID))
		if err != nil {
			return err
		}
		return tx.Set(accessKeyKey(forged), v)
	}))
	_, err := te.LookupAccessKey(ctx, forged)
	require.Error(t, err)
	require.NotEqual(t, KindNotFound, KindOf(err))
	got, err := te.LookupAccessKey(ctx, k.ID)
	require.NoError(t, err)
	require.Equal(t, k.Secret, got.Secret)
}

func TestSealKeyLength(t *testing.T) {
	te := newTestEngine(t)
	for _, n := range []int{0, 1, 16, 24, 31, 33, 64} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			opts := te.cfg.opts
			opts.SealKey = make([]byte, n)
			e, err := New(t.Context(), opts)
			if err == nil {
				e.Close()
			}
			require.Error(t, err)
		})
	}
}

package kv

import (
	"errors"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
)

func TestSchemaInitialisedOnEmptyStore(t *testing.T) {
	s := newTestStore(t, nil)
	v, found, err := s.schemaVersion(t.Context())
	require.NoError(t, err)
	require.True(t, found)
	require.EqualValues(t, SchemaVersion, v)
}

// reopenWith opens a store on fs after prepare has written to it directly,
// and returns Open's error.
func reopenWith(t *testing.T, fs vfs.FS, prepare func(tx Tx) error) error {
	t.Helper()
	s, err := Open("db", &Options{FS: fs, Logger: quietLogger})
	require.NoError(t, err)
	require.NoError(t, s.Update(t.Context(), prepare))
	require.NoError(t, s.Close())
	s, err = Open("db", &Options{FS: fs, Logger: quietLogger})
	if err == nil {
		require.NoError(t, s.Close())
	}
	return err
}

func TestSchemaVersionChecks(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(tx Tx) error
		wantErr string
	}{
		{"same version", func(tx Tx) error { return putSchemaVersion(tx, SchemaVersion) }, ""},
		{"newer version", func(tx Tx) error { return putSchemaVersion(tx, SchemaVersion+1) },
			"kv: store schema version 2 is newer than the supported version 1"},
		{"corrupt record", func(tx Tx) error { return tx.Set(schemaKey, []byte{schemaRecordVersion}) },
			"kv: corrupt data"},
		{"data without version", func(tx Tx) error {
			if err := tx.Delete(schemaKey); err != nil {
				return err
			}
			return tx.Set(Key(PrefixBucket).Uint64(1), []byte("x"))
		}, "kv: store holds data but no schema version"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := reopenWith(t, vfs.NewMem(), tc.prepare)
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}

// A store that is not a kv store at all (empty pebble DB) is initialised.
func TestSchemaOnPlainPebbleDir(t *testing.T) {
	fs := vfs.NewMem()
	db, err := pebble.Open("db", &pebble.Options{FS: fs, Logger: pebbleLogger{l: quietLogger}})
	require.NoError(t, err)
	require.NoError(t, db.Close())
	s, err := Open("db", &Options{FS: fs, Logger: quietLogger})
	require.NoError(t, err)
	require.NoError(t, s.Close())
}

func TestMigrate(t *testing.T) {
	errStep := errors.New("step failed")
	marker := func(name string) func(tx Tx) error {
		return func(tx Tx) error { return tx.Set(Key(PrefixMeta).String(name), nil) }
	}
	table := []migration{
		{from: 1, desc: "add a", run: marker("a")},
		{from: 2, desc: "add b", run: marker("b")},
		{from: 3, desc: "fail", run: func(Tx) error { return errStep }},
	}
	tests := []struct {
		name        string
		to          uint64
		wantVersion uint64
		wantErr     string
		wantKeys    []string
	}{
		{"two steps", 3, 3, "", []string{"a", "b"}},
		{"failing step keeps last good version", 4, 3, "kv: migrate schema 3 to 4 (fail): step failed", []string{"a", "b"}},
		{"missing step", 6, 3, "kv: migrate schema 3 to 4", []string{"a", "b"}},
		{"nothing to do", 1, 1, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestStore(t, nil)
			err := s.migrate(t.Context(), 1, tc.to, table)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
			} else {
				require.NoError(t, err)
			}
			v, _, err := s.schemaVersion(t.Context())
			require.NoError(t, err)
			require.Equal(t, tc.wantVersion, v)
			for _, k := range tc.wantKeys {
				require.Equal(t, "", lookup(t, s, string(Key(PrefixMeta).String(k))))
			}
		})
	}

	t.Run("no migration registered", func(t *testing.T) {
		s := newTestStore(t, nil)
		require.ErrorContains(t, s.migrate(t.Context(), 1, 2, nil), "kv: no migration from schema version 1")
	})
}

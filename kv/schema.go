package kv

import (
	"context"
	"errors"
	"fmt"
)

// SchemaVersion is the version of the key layout and record formats this
// package writes. A store records the version it was written with under
// meta/schema; Open migrates older stores and refuses newer ones.
const SchemaVersion = 1

// schemaRecordVersion is the format version of the meta/schema record.
const schemaRecordVersion = 1

// schemaKey holds the store's schema version.
var schemaKey = Key(PrefixMeta).String("schema")

// A migration upgrades a store from schema version from to from+1, in one
// Update that also records the new version.
type migration struct {
	from uint64
	desc string
	run  func(tx Tx) error
}

// migrations is where future schema versions hook in; empty for v1.
var migrations = []migration{}

// checkSchema initialises an empty store to SchemaVersion, migrates an older
// one, and refuses a newer one.
func (s *Store) checkSchema(ctx context.Context) error {
	v, found, err := s.schemaVersion(ctx)
	switch {
	case err != nil:
		return err
	case !found:
		return s.initSchema(ctx)
	case v > SchemaVersion:
		return fmt.Errorf("kv: store schema version %d is newer than the supported version %d", v, SchemaVersion)
	case v < SchemaVersion:
		return s.migrate(ctx, v, SchemaVersion, migrations)
	}
	return nil
}

// schemaVersion reads the recorded schema version.
func (s *Store) schemaVersion(ctx context.Context) (v uint64, found bool, err error) {
	err = s.View(ctx, func(r Reader) error {
		b, err := r.Get(schemaKey)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		found = true
		d := NewDecoder(b)
		if rv := d.Version(); d.Err() == nil && rv != schemaRecordVersion {
			return fmt.Errorf("%w: schema record version %d unsupported", ErrCorrupt, rv)
		}
		v = d.Uvarint()
		return d.Err()
	})
	return v, found, err
}

// initSchema records SchemaVersion in a store that has none, refusing a store
// that holds data without a version: it was not written by kv.
func (s *Store) initSchema(ctx context.Context) error {
	return s.Update(ctx, func(tx Tx) error {
		it := tx.Iter(nil, nil)
		nonEmpty := it.First()
		if err := it.Close(); err != nil {
			return err
		}
		if nonEmpty {
			return errors.New("kv: store holds data but no schema version")
		}
		return putSchemaVersion(tx, SchemaVersion)
	})
}

// putSchemaVersion records v as the store's schema version.
func putSchemaVersion(tx Tx, v uint64) error {
	var e Encoder
	e.Version(schemaRecordVersion)
	e.Uvarint(v)
	return tx.Set(schemaKey, e.Bytes())
}

// migrate upgrades the store from version from to version to, one step per
// Update, using table. It stops at the first failing step; the store then
// holds the last version that succeeded.
func (s *Store) migrate(ctx context.Context, from, to uint64, table []migration) error {
	for v := from; v < to; v++ {
		m, ok := findMigration(table, v)
		if !ok {
			return fmt.Errorf("kv: no migration from schema version %d (want %d)", v, to)
		}
		err := s.Update(ctx, func(tx Tx) error {
			if err := m.run(tx); err != nil {
				return err
			}
			return putSchemaVersion(tx, v+1)
		})
		if err != nil {
			return fmt.Errorf("kv: migrate schema %d to %d (%s): %w", v, v+1, m.desc, err)
		}
		s.opts.Logger.Info("kv: migrated schema", "from", v, "to", v+1, "step", m.desc)
	}
	return nil
}

// findMigration returns the migration from version v.
func findMigration(table []migration, v uint64) (migration, bool) {
	for _, m := range table {
		if m.from == v {
			return m, true
		}
	}
	return migration{}, false
}

package localdir

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
)

// Probe checks that the space works: it writes a small temporary file in TempDir, fsyncs it,
// reads it back and removes it, and checks that the active pack, if there is one, still has a
// name. The engine calls it every probe interval in place of putting, reading and deleting a
// blob, which here would append two records to the active pack each time and leave
// tombstones for compaction to carry.
func (s *Space) Probe(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("localdir: probe: %w", err)
	}
	if err := s.probeFile(); err != nil {
		return fmt.Errorf("localdir: probe: %w", err)
	}
	if err := s.packs.checkActive(); err != nil {
		return fmt.Errorf("localdir: probe: %w", err)
	}
	return nil
}

func (s *Space) probeFile() error {
	var data [32]byte
	rand.Read(data[:])
	f, tmp, err := s.createTemp()
	if err != nil {
		return err
	}
	defer s.root.Remove(tmp)
	_, err = f.Write(data[:])
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	r, err := s.root.Open(tmp)
	if err != nil {
		return err
	}
	defer r.Close()
	var got [len(data)]byte
	if _, err := r.ReadAt(got[:], 0); err != nil {
		return err
	}
	if !bytes.Equal(got[:], data[:]) {
		return errors.New("the probe file read back differs from what was written")
	}
	return nil
}

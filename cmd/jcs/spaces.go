package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/jointcloud/jcs/engine"
	"github.com/jointcloud/jcs/engine/space"
	"github.com/jointcloud/jcs/engine/space/localdir"
)

// openSpace opens the storage of a user space. It is the engine's SpaceOpener: the engine
// knows user spaces only as records, and cmd decides which implementation serves each type.
func openSpace(_ context.Context, us engine.UserSpace) (space.Space, error) {
	switch us.Storage.Type {
	case engine.StorageLocal:
		if !filepath.IsAbs(us.Storage.Path) {
			return nil, fmt.Errorf("local user space path %q must be absolute", us.Storage.Path)
		}
		root := filepath.Join(us.Storage.Path, filepath.FromSlash(us.WorkingDir))
		if err := os.MkdirAll(root, 0o755); err != nil {
			return nil, err
		}
		return localdir.New(root)
	}
	return nil, fmt.Errorf("user space type %q is not supported by this build", us.Storage.Type)
}

// ensureDefaultSpaces gives the engine the embedded default of a first start: n local user
// spaces named local1..localN under dir/spaces. It creates the ones missing as long as every
// space that exists is one of them, so a first start interrupted halfway is completed by the
// next, while an installation with user spaces of its own is left alone.
func ensureDefaultSpaces(ctx context.Context, e *engine.Engine, dir string, n int) ([]engine.UserSpace, error) {
	spaces, err := e.ListUserSpaces(ctx)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(filepath.Join(dir, "spaces"))
	if err != nil {
		return nil, err
	}
	want := make(map[string]string, n) // name -> path
	for i := range n {
		want[fmt.Sprintf("local%d", i+1)] = filepath.Join(abs, fmt.Sprintf("space%d", i+1))
	}
	for _, us := range spaces {
		if want[us.Name] != us.Storage.Path {
			return spaces, nil // not a default installation
		}
		delete(want, us.Name)
	}
	for i := range n {
		name := fmt.Sprintf("local%d", i+1)
		path, missing := want[name]
		if !missing {
			continue
		}
		if err := os.MkdirAll(path, 0o755); err != nil {
			return nil, err
		}
		us, err := e.CreateUserSpace(ctx, engine.CreateUserSpaceInput{
			Name:       name,
			Storage:    engine.StorageConfig{Type: engine.StorageLocal, Path: path},
			ShardStore: &engine.ShardStoreConfig{},
		})
		if err != nil {
			return nil, err
		}
		spaces = append(spaces, us)
	}
	return spaces, nil
}

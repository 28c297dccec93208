package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/jointcloud/jcs/engine"
	"github.com/jointcloud/jcs/engine/space"
	"github.com/jointcloud/jcs/engine/space/localdir"
	"github.com/jointcloud/jcs/engine/space/s3space"
)

// openSpace opens the storage of a user space. It is the engine's SpaceOpener: the engine
// knows user spaces only as records, and cmd decides which implementation serves each type.
func openSpace(ctx context.Context, us engine.UserSpace) (space.Space, error) {
	switch us.Storage.Type {
	case engine.StorageLocal:
		dir, err := localDir(us)
		if err != nil {
			return nil, err
		}
		root := filepath.Join(dir, filepath.FromSlash(us.WorkingDir))
		if err := os.MkdirAll(root, 0o755); err != nil {
			return nil, err
		}
		return localdir.New(root)
	case engine.StorageS3, engine.StorageOBS, engine.StorageOSS, engine.StorageCOS:
		c, err := s3Config(us)
		if err != nil {
			return nil, err
		}
		c.Prefix = us.WorkingDir
		return s3space.New(ctx, c)
	}
	return nil, fmt.Errorf("user space type %q is not supported by this build", us.Storage.Type)
}

// openFiles opens the plain-file view of a user space, rooted at its storage's root: the
// engine's FilesOpener, for createPackage and downloadPackage.
func openFiles(ctx context.Context, us engine.UserSpace) (space.Files, error) {
	switch us.Storage.Type {
	case engine.StorageLocal:
		dir, err := localDir(us)
		if err != nil {
			return nil, err
		}
		return localdir.NewFiles(dir)
	case engine.StorageS3, engine.StorageOBS, engine.StorageOSS, engine.StorageCOS:
		c, err := s3Config(us)
		if err != nil {
			return nil, err
		}
		return s3space.New(ctx, c)
	}
	return nil, fmt.Errorf("user space type %q is not supported by this build", us.Storage.Type)
}

// localDir checks that a Local space's directory exists: a directory that is gone (an
// unmounted disk) must fail to open, not be recreated empty on the root file system.
func localDir(us engine.UserSpace) (string, error) {
	dir := us.Storage.Path
	if !filepath.IsAbs(dir) {
		return "", fmt.Errorf("local user space path %q must be absolute", dir)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return "", err
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("local user space path %q is not a directory", dir)
	}
	return dir, nil
}

// s3Config maps a space of the S3 family to an S3 client configuration. OBS, OSS and COS are
// reached through their S3-compatible endpoints, derived from the region when none is given.
func s3Config(us engine.UserSpace) (s3space.Config, error) {
	st := us.Storage
	c := s3space.Config{
		Endpoint: st.Endpoint, Region: st.Region, Bucket: st.Bucket, PathStyle: st.PathStyle,
		AccessKeyID: us.Credential.AccessKeyID, SecretAccessKey: us.Credential.SecretAccessKey,
	}
	if c.Endpoint == "" && st.Region != "" {
		switch st.Type {
		case engine.StorageOBS:
			c.Endpoint = "https://obs." + st.Region + ".myhuaweicloud.com"
		case engine.StorageOSS:
			c.Endpoint = "https://" + ensurePrefix(st.Region, "oss-") + ".aliyuncs.com"
			c.Region = strings.TrimPrefix(st.Region, "oss-")
		case engine.StorageCOS:
			c.Endpoint = "https://cos." + st.Region + ".myqcloud.com"
		}
	}
	if c.Endpoint == "" {
		return c, fmt.Errorf("a %s user space needs an endpoint or a region", st.Type)
	}
	return c, nil
}

func ensurePrefix(s, prefix string) string {
	if strings.HasPrefix(s, prefix) {
		return s
	}
	return prefix + s
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

package s3space_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space"
	"github.com/jointcloud/jcs/engine/space/s3space"
)

// TestPrefixLayout checks where blobs land in the bucket for several spellings of Prefix:
// one '/' between prefix and name, never two, and names relative to the prefix everywhere.
func TestPrefixLayout(t *testing.T) {
	f := newFakeS3(t)
	for _, tc := range []struct {
		prefix, wantKey string
	}{
		{"", "a/b"},
		{"/", "a/b"},
		{"jcs", "jcs/a/b"},
		{"jcs/", "jcs/a/b"},
		{"/jcs/shards/", "jcs/shards/a/b"},
	} {
		t.Run(fmt.Sprintf("prefix=%q", tc.prefix), func(t *testing.T) {
			bucket := f.newBucket(t)
			s, err := s3space.New(t.Context(), f.config(bucket, tc.prefix))
			require.NoError(t, err)
			data := []byte("content")
			require.NoError(t, s.Put(t.Context(), "a/b", bytes.NewReader(data), int64(len(data))))
			require.Equal(t, []string{tc.wantKey}, f.keys(t, bucket))

			info, err := s.Stat(t.Context(), "a/b")
			require.NoError(t, err)
			require.Equal(t, "a/b", info.Name)
			require.Equal(t, data, readAll(t, s, "a/b"))
			infos, next, err := s.List(t.Context(), "a/", "", 0)
			require.NoError(t, err)
			require.Empty(t, next)
			require.Len(t, infos, 1)
			require.Equal(t, "a/b", infos[0].Name)

			require.NoError(t, s.Delete(t.Context(), "a/b"))
			require.Empty(t, f.keys(t, bucket))
		})
	}
}

// TestPrefixIsolation fills a bucket with objects inside and outside the prefix, some of
// them with keys that are not valid names: List, Stat and Delete see only the valid ones
// inside, and the cursor pages over them correctly.
func TestPrefixIsolation(t *testing.T) {
	f := newFakeS3(t)
	bucket := f.newBucket(t)
	for _, key := range []string{
		"p",         // the prefix itself, as an object
		"p0",        // shares the prefix's bytes, outside its directory
		"pa/x",      // likewise
		"other/p/x", // elsewhere
		"p/",        // a directory marker
		"p/d/",      // another
		"p//x",      // empty segment
		"p/./x",     // dot segment
		"p/a",       // valid
		"p/b/c",     // valid
		"p/d/e",     // valid
		"q",         // after the prefix
	} {
		f.putRaw(t, bucket, key, []byte(key))
	}
	s, err := s3space.New(t.Context(), f.config(bucket, "p"))
	require.NoError(t, err)

	for _, tc := range []struct {
		prefix, after string
		limit         int
		want          []string
		wantNext      string
	}{
		{"", "", 0, []string{"a", "b/c", "d/e"}, ""},
		{"", "", 1, []string{"a"}, "a"},
		{"", "a", 1, []string{"b/c"}, "b/c"},
		{"", "b/c", 1, []string{"d/e"}, ""},
		{"d", "", 0, []string{"d/e"}, ""},
		{"", "\xff", 0, nil, ""},
		{"\xff", "", 0, nil, ""},
	} {
		t.Run(fmt.Sprintf("prefix=%q/after=%q/limit=%d", tc.prefix, tc.after, tc.limit), func(t *testing.T) {
			infos, next, err := s.List(t.Context(), tc.prefix, tc.after, tc.limit)
			require.NoError(t, err)
			var got []string
			for _, info := range infos {
				got = append(got, info.Name)
				require.Equal(t, int64(len("p/"+info.Name)), info.Size)
			}
			require.Equal(t, tc.want, got)
			require.Equal(t, tc.wantNext, next)
		})
	}
	_, err = s.Stat(t.Context(), "0")
	require.ErrorIs(t, err, space.ErrNotExist, "p0 is not the blob 0")
}

// TestPrefixKeyLength checks that names whose key would exceed S3's 1024 bytes are invalid,
// rather than sent to fail at the server. This is why the conformance suite runs without a
// prefix: its longest valid name is 1024 bytes, which no prefixed key can hold, so
// ValidNames (and only ValidNames) fails under any prefix.
func TestPrefixKeyLength(t *testing.T) {
	f := newFakeS3(t)
	s := f.newSpace(t, "p") // keys start with "p/"
	longest := strings.Repeat("n", s3space.MaxKeyLen-2)
	require.NoError(t, s.Put(t.Context(), longest, bytes.NewReader([]byte("x")), 1))
	require.Equal(t, []byte("x"), readAll(t, s, longest))

	tooLong := longest + "n"
	require.ErrorIs(t, s.Put(t.Context(), tooLong, bytes.NewReader([]byte("x")), 1), space.ErrInvalidName)
	_, err := s.Stat(t.Context(), tooLong)
	require.ErrorIs(t, err, space.ErrInvalidName)
	_, err = s.Open(t.Context(), tooLong)
	require.ErrorIs(t, err, space.ErrInvalidName)
	require.ErrorIs(t, s.Delete(t.Context(), tooLong), space.ErrInvalidName)
}

// TestNewRejects checks the configurations that New refuses without sending a request.
func TestNewRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(c *s3space.Config)
	}{
		{"no bucket", func(c *s3space.Config) { c.Bucket = "" }},
		{"slash in bucket", func(c *s3space.Config) { c.Bucket = "a/b" }},
		{"endpoint not http", func(c *s3space.Config) { c.Endpoint = "ftp://host" }},
		{"endpoint without host", func(c *s3space.Config) { c.Endpoint = "http://" }},
		{"only the access key", func(c *s3space.Config) { c.SecretAccessKey = "" }},
		{"only the secret key", func(c *s3space.Config) { c.AccessKeyID = "" }},
		{"dot dot prefix", func(c *s3space.Config) { c.Prefix = "a/../b" }},
		{"empty segment prefix", func(c *s3space.Config) { c.Prefix = "a//b" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := s3space.Config{Endpoint: "http://127.0.0.1:1", Bucket: "b", AccessKeyID: accessKey, SecretAccessKey: secretKey}
			tc.edit(&c)
			_, err := s3space.New(t.Context(), c)
			require.Error(t, err)
			require.NotContains(t, err.Error(), secretKey)
		})
	}
}

// TestConfigRedactsSecret prints and logs a Config every usual way: the secret key never
// shows, and neither do credentials in the endpoint URL.
func TestConfigRedactsSecret(t *testing.T) {
	c := s3space.Config{
		Endpoint: "https://user:" + secretKey + "@s3.example.com", Bucket: "b",
		AccessKeyID: accessKey, SecretAccessKey: secretKey,
	}
	var text, json bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("space", "config", c)
	slog.New(slog.NewJSONHandler(&json, nil)).Info("space", "config", c)
	for _, out := range []string{
		fmt.Sprint(c), fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), c.String(),
		text.String(), json.String(),
	} {
		require.NotContains(t, out, secretKey)
		require.Contains(t, out, accessKey)
	}
}

package e2e

import (
	"bufio"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space/localdir"
)

// object is a test object: size bytes of the deterministic stream numbered seed, at path.
// Content is generated on demand, never stored, so a test can upload and check objects of any
// size while holding none of them in memory.
type object struct {
	path string
	size int64
	seed uint64
}

// reader streams the object's content.
func (o object) reader() io.Reader { return contentReader(o.seed, 0, o.size) }

// bytesAt returns n bytes of the content from off.
func (o object) bytesAt(off, n int64) []byte {
	b := make([]byte, n)
	_, err := io.ReadFull(contentReader(o.seed, off, n), b)
	if err != nil {
		panic(err) // the generator cannot fail
	}
	return b
}

var sums sync.Map // object -> [32]byte

// sum returns the SHA-256 of the content.
func (o object) sum() [32]byte {
	key := object{size: o.size, seed: o.seed}
	if v, ok := sums.Load(key); ok {
		return v.([32]byte)
	}
	h := sha256.New()
	io.Copy(h, o.reader())
	var s [32]byte
	h.Sum(s[:0])
	sums.Store(key, s)
	return s
}

// fileHash is the object's /v1 fileHash: "Full" and the upper-case hex SHA-256.
func (o object) fileHash() string { return fileHashOf(o.sum()) }

// fileHashOf is the /v1 fileHash of content with the given SHA-256.
func fileHashOf(sum [32]byte) string {
	return "Full" + strings.ToUpper(hex.EncodeToString(sum[:]))
}

// contentReader streams n bytes of the content numbered seed from offset off: the AES-CTR
// keystream of a key made from seed, a seeded PRNG that is fast (hardware AES, not
// instrumented by the race detector) and can start at any offset.
func contentReader(seed uint64, off, n int64) io.Reader {
	var key [16]byte
	binary.BigEndian.PutUint64(key[:8], seed)
	copy(key[8:], "jcs-e2e!")
	block, err := aes.NewCipher(key[:])
	if err != nil {
		panic(err)
	}
	var iv [aes.BlockSize]byte
	binary.BigEndian.PutUint64(iv[8:], uint64(off/aes.BlockSize))
	s := cipher.NewCTR(block, iv[:])
	var skip [aes.BlockSize]byte
	s.XORKeyStream(skip[:off%aes.BlockSize], skip[:off%aes.BlockSize])
	return io.LimitReader(cipher.StreamReader{S: s, R: zeros{}}, n)
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// What the server keeps in a Local user space (docs/ARCHITECTURE.md): shards named
// blobs/xx/<32 hex>.<index>, small ones as records in pack files under .packs, larger ones as
// files of that name; temporary files under .tmp. localdir.Snapshot reads both kinds of shard
// without writing anything.

var shardPath = regexp.MustCompile(`^blobs/([0-9a-f]{2})/([0-9a-f]{32})\.([0-9]+)$`)

// diskState is what a scan of the user space directories found.
type diskState struct {
	shards int
	temps  []string // files under a .tmp directory
	bad    []string // blobs under blobs/ that are not named like shards
	// byIndex counts shards by space directory and shard index.
	byIndex map[string]map[int]int
	// blobs maps each blob ID to the space directories holding its shards, and their indexes.
	blobs map[string]map[string]int
	// loose holds the blob IDs whose shards are files of their own, too large for a pack.
	loose map[string]bool
}

// scanSpaces reads DATA/spaces. Space directories that do not exist (deleted by a test) are
// skipped.
func scanSpaces(t *testing.T, dataDir string) diskState {
	t.Helper()
	st := diskState{byIndex: map[string]map[int]int{}, blobs: map[string]map[string]int{}, loose: map[string]bool{}}
	root := filepath.Join(dataDir, "spaces")
	spaces, err := os.ReadDir(root)
	require.NoError(t, err)
	for _, sp := range spaces {
		dir := filepath.Join(root, sp.Name())
		infos, err := localdir.Snapshot(t.Context(), dir)
		if os.IsNotExist(err) || errors.Is(err, fs.ErrNotExist) {
			continue
		}
		require.NoError(t, err)
		for _, info := range infos {
			if !strings.HasPrefix(info.Name, "blobs/") {
				continue // a probe's blob
			}
			m := shardPath.FindStringSubmatch(info.Name)
			if m == nil || m[1] != m[2][:2] {
				st.bad = append(st.bad, sp.Name()+"/"+info.Name)
				continue
			}
			st.shards++
			idx, _ := strconv.Atoi(m[3])
			if st.byIndex[sp.Name()] == nil {
				st.byIndex[sp.Name()] = map[int]int{}
			}
			st.byIndex[sp.Name()][idx]++
			if st.blobs[m[2]] == nil {
				st.blobs[m[2]] = map[string]int{}
			}
			st.blobs[m[2]][sp.Name()] = idx
			if info.Size > localdir.DefaultPackMax {
				st.loose[m[2]] = true
			}
		}
		temps, err := os.ReadDir(filepath.Join(dir, localdir.TempDir))
		if err != nil && !os.IsNotExist(err) {
			require.NoError(t, err)
		}
		for _, d := range temps {
			st.temps = append(st.temps, filepath.Join(sp.Name(), localdir.TempDir, d.Name()))
		}
	}
	return st
}

// shardsNeeded is how many shard files the live objects need. Objects with the same bytes
// (the same fileHash and size) share one blob: the engine stores identical content once, and
// tiny objects of the tests do collide.
func shardsNeeded(objs []objectJSON) int {
	n := 0
	seen := map[string]bool{}
	for _, o := range objs {
		size, err := strconv.ParseInt(o.Size, 10, 64)
		if err != nil {
			panic(err)
		}
		if key := o.FileHash + "/" + o.Size; !seen[key] {
			seen[key] = true
			n += shardFiles(size)
		}
	}
	return n
}

// waitDisk waits until the space directories hold exactly want shard files and no temporary
// or stray files, as they must once the server has collected what failed or crashed writes
// left behind.
func waitDisk(t *testing.T, dataDir string, want int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		st := scanSpaces(t, dataDir)
		if st.shards == want && len(st.temps) == 0 && len(st.bad) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v the user spaces hold %d shard files, want exactly %d (what the live objects need); "+
				"temporary files: %q; stray files: %q", timeout, st.shards, want, st.temps, st.bad)
		}
		<-tick.C
	}
}

// metrics returns the /metrics samples whose names start with prefix, "name{labels}" -> value.
func metrics(t *testing.T, s *server, prefix string) map[string]float64 {
	t.Helper()
	resp, err := probe.Get(s.url("/metrics"))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		require.Positive(t, i, "metrics line %q", line)
		v, err := strconv.ParseFloat(line[i+1:], 64)
		require.NoError(t, err, "metrics line %q", line)
		out[line[:i]] = v
	}
	require.NoError(t, sc.Err())
	return out
}

// metric returns one sample of /metrics, failing the test if it is missing.
func metric(t *testing.T, s *server, name string) float64 {
	t.Helper()
	m := metrics(t, s, name)
	v, ok := m[name]
	require.True(t, ok, "/metrics has no %s; found %v", name, m)
	return v
}

// waitRequests waits until the server has finished n requests of the /v1 operation op (a
// route name such as "object.upload"), whatever their status, as /metrics counts them.
func waitRequests(t *testing.T, s *server, op string, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		total := 0.0
		for name, v := range metrics(t, s, "jcs_http_requests_total{") {
			if strings.Contains(name, `op="`+op+`"`) {
				total += v
			}
		}
		if total >= float64(n) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server finished %v %s requests within 30s, want %d", total, op, n)
		}
		<-tick.C
	}
}

// waitMetric waits until a /metrics sample is positive.
func waitMetric(t *testing.T, s *server, name string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for metric(t, s, name) <= 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%s is still 0 after %v", name, timeout)
		}
		<-tick.C
	}
}

// waitPlaced waits until the server has written every small object it deferred to the user
// spaces (jcs_engine_deferred_blobs is 0), for tests that look at the spaces themselves.
func waitPlaced(t *testing.T, s *server) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for metric(t, s, "jcs_engine_deferred_blobs") != 0 {
		require.True(t, time.Now().Before(deadline), "deferred blobs not placed after 30s")
		time.Sleep(20 * time.Millisecond)
	}
}

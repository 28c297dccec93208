// Package cmd_test enforces the dependency rules of DESIGN.md §1 and STYLE.md §2.1, in the
// manner of pebble's internal/lint: it lists every package of the module with `go list` and
// fails on any import the rules forbid.
package cmd_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/jointcloud/jcs"

// rule constrains one package (or, with a trailing "/...", a package and those below it).
type rule struct {
	pkg string
	// ours lists the packages of this module it may import directly ("/..." as above).
	ours []string
	// forbidden lists path prefixes of packages it must not import. Only direct imports count:
	// Pebble itself imports Prometheus and net/http, so every layer depends on them indirectly.
	forbidden []string
}

// Third-party families that belong to one layer only.
var (
	httpFrameworks = []string{"net/http", "github.com/gorilla/", "github.com/johannesboyne/gofakes3"}
	prometheus     = []string{"github.com/prometheus/"}
	storageSDKs    = []string{"github.com/aws/", "github.com/minio/minio-go"}
	pebble         = []string{"github.com/cockroachdb/pebble"}
)

func concat(lists ...[]string) []string { return slices.Concat(lists...) }

var rules = []rule{
	// The bottom layers know nothing of the layers above them.
	{pkg: "kv", forbidden: concat(httpFrameworks, prometheus, storageSDKs)},
	{pkg: "erasure", forbidden: concat(httpFrameworks, prometheus, storageSDKs, pebble)},
	{pkg: "sigv4", forbidden: concat(prometheus, storageSDKs, pebble)},
	{pkg: "engine/space", forbidden: concat(httpFrameworks, prometheus, pebble)},
	{pkg: "engine/space/...", ours: []string{"engine/space", "engine/space/..."}, forbidden: concat(prometheus, pebble)},
	// The engine owns the invariants and imports no HTTP framework, gofakes3, Prometheus or
	// storage SDK (cmd injects the S3 space implementation), and never a Pebble type directly.
	{pkg: "engine", ours: []string{"kv", "erasure", "engine/space"}, forbidden: concat(httpFrameworks, prometheus, storageSDKs)},
	// Front ends: engine (and the signature verifier), never each other, never the lower layers.
	{pkg: "nativeapi", ours: []string{"engine", "sigv4"}, forbidden: concat(prometheus, storageSDKs, pebble)},
	{pkg: "s3compat", ours: []string{"engine", "sigv4", "s3compat/checksum"}, forbidden: concat(prometheus, pebble)},
	{pkg: "s3compat/checksum", ours: nil, forbidden: concat(httpFrameworks[1:], prometheus, storageSDKs, pebble)},
	// Monitoring adapts engine and kv snapshots.
	{pkg: "monitoring", ours: []string{"engine", "kv"}, forbidden: storageSDKs},
	// The load generator is a client: it reaches the server over the wire only, so it imports
	// nothing of ours (its tests may, to run a real server in process).
	{pkg: "loadgen", ours: nil, forbidden: concat(prometheus, pebble)},
}

// pkgInfo is the part of `go list -json` the rules need.
type pkgInfo struct {
	ImportPath string
	Imports    []string
}

func TestLayering(t *testing.T) {
	pkgs := listPackages(t)
	if len(pkgs) < 8 {
		t.Fatalf("go list found only %d packages; is the test running in the module?", len(pkgs))
	}
	for _, v := range check(pkgs, rules) {
		t.Error(v)
	}
}

// TestLayeringCatchesViolations proves the checker fails on forbidden edges, so that a passing
// TestLayering means something.
func TestLayeringCatchesViolations(t *testing.T) {
	pkgs := []pkgInfo{
		{ImportPath: module + "/engine", Imports: []string{module + "/kv", module + "/nativeapi", "github.com/prometheus/client_golang/prometheus"}},
		{ImportPath: module + "/nativeapi", Imports: []string{module + "/engine", module + "/s3compat"}},
		{ImportPath: module + "/kv", Imports: []string{module + "/cmd/jcs"}},
		{ImportPath: module + "/engine/space/localdir", Imports: []string{module + "/engine/space"}},
		{ImportPath: module + "/loadgen", Imports: []string{module + "/engine", "net/http"}},
	}
	got := check(pkgs, rules)
	for _, want := range []string{
		"engine imports nativeapi",
		"engine imports github.com/prometheus/client_golang/prometheus",
		"nativeapi imports s3compat",
		"kv imports cmd/jcs",
		"loadgen imports engine",
	} {
		if !slices.ContainsFunc(got, func(v string) bool { return strings.Contains(v, want) }) {
			t.Errorf("checker missed %q; it reported %q", want, got)
		}
	}
	if slices.ContainsFunc(got, func(v string) bool { return strings.Contains(v, "localdir") }) {
		t.Errorf("checker flagged an allowed import: %q", got)
	}
}

// check returns a line per violation.
func check(pkgs []pkgInfo, rules []rule) []string {
	var out []string
	for _, p := range pkgs {
		rel, ok := strings.CutPrefix(p.ImportPath, module+"/")
		if !ok {
			continue
		}
		for _, imp := range p.Imports {
			if dep, ours := strings.CutPrefix(imp, module+"/"); ours && (dep == "cmd" || strings.HasPrefix(dep, "cmd/")) {
				out = append(out, fmt.Sprintf("%s imports %s: nothing may import cmd", rel, dep))
			}
		}
		r, ok := ruleFor(rel, rules)
		if !ok {
			continue
		}
		for _, imp := range p.Imports {
			dep, ours := strings.CutPrefix(imp, module+"/")
			if ours && !matchAny(dep, r.ours) && !strings.HasPrefix(dep, "cmd") {
				out = append(out, fmt.Sprintf("%s imports %s: allowed are %v", rel, dep, r.ours))
			}
		}
		for _, imp := range p.Imports {
			for _, f := range r.forbidden {
				if imp == f || strings.HasPrefix(imp, strings.TrimSuffix(f, "/")+"/") {
					out = append(out, fmt.Sprintf("%s imports %s, which its layer must not", rel, imp))
				}
			}
		}
	}
	return out
}

// ruleFor returns the most specific rule for a package: an exact match beats a "/..." one.
func ruleFor(rel string, rules []rule) (rule, bool) {
	for _, r := range rules {
		if r.pkg == rel {
			return r, true
		}
	}
	for _, r := range rules {
		if base, ok := strings.CutSuffix(r.pkg, "/..."); ok && strings.HasPrefix(rel, base+"/") {
			return r, true
		}
	}
	return rule{}, false
}

func matchAny(dep string, patterns []string) bool {
	for _, p := range patterns {
		if base, ok := strings.CutSuffix(p, "/..."); ok {
			if dep == base || strings.HasPrefix(dep, base+"/") {
				return true
			}
		} else if dep == p {
			return true
		}
	}
	return false
}

func listPackages(t *testing.T) []pkgInfo {
	t.Helper()
	touchSources(t)
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkgInfo
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p pkgInfo
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// touchSources opens every Go file of the module. go list runs in another process, which the
// test cache cannot see; the files this process opens are part of the cache key, so a new
// import anywhere reruns the test instead of replaying a stale pass.
func touchSources(t *testing.T) {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != root {
			return filepath.SkipDir
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".go") || d.Name() == "go.mod") {
			_, err = os.ReadFile(path)
		}
		return err
	})
	if err != nil {
		t.Fatalf("reading the module's sources: %v", err)
	}
}

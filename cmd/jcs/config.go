package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/jointcloud/jcs/engine"
)

// config is what `jcs serve` runs with. Every field is a flag; each flag can also be set by
// the environment variable JCS_<FLAG> (upper case, '-' as '_') and by a key of the JSON config
// file named by --config. A flag on the command line wins over the environment, which wins
// over the config file, which wins over the default.
type config struct {
	Data          string
	APIAddr       string
	S3Addr        string
	DebugAddr     string
	DefaultSpaces int
	NoAuth        bool
	// The coding of new objects; see engine.Options.
	DataShards, ParityShards int
	ChunkSize                int
	SmallObjectSize          int64
	DeferMax                 int64
	LogLevel                 string
	LogFormat                string
	ConfigFile               string
	// TLSCert and TLSKey, both set, serve both listeners over HTTPS.
	TLSCert, TLSKey string
	// Health, repair and scrubbing; see engine.Options.
	ProbeInterval, RepairAfter, RepairInterval, ScrubInterval time.Duration
	ScrubRate                                                 int64
	// UploadExpiry is engine.Options.UploadExpiry.
	UploadExpiry time.Duration
}

func (c *config) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.Data, "data", "./data", "data directory: the index under DIR/meta, default user spaces under DIR/spaces")
	fs.StringVar(&c.APIAddr, "api-addr", "127.0.0.1:7890", "listen address of the /v1 API, /metrics and /healthz")
	fs.StringVar(&c.DebugAddr, "debug-addr", "", "if set, serve Go's /debug/pprof profiles on this address (keep it on loopback)")
	fs.StringVar(&c.S3Addr, "s3-addr", "127.0.0.1:7891", "listen address of the S3 API (path-style requests)")
	fs.IntVar(&c.DefaultSpaces, "default-spaces", 6, "local user spaces created under DIR/spaces on first start when none exist")
	fs.BoolVar(&c.NoAuth, "no-auth", false, "serve without authentication (for local experiments only)")
	fs.IntVar(&c.DataShards, "ec-data", engine.DefaultDataShards, "erasure coding of new objects: data shards (k)")
	fs.IntVar(&c.ParityShards, "ec-parity", engine.DefaultParityShards, "erasure coding of new objects: parity shards (n-k), the user spaces that may be lost")
	fs.IntVar(&c.ChunkSize, "chunk-size", engine.DefaultChunkSize, "erasure coding block size in bytes")
	fs.Int64Var(&c.SmallObjectSize, "small-object-size", engine.DefaultSmallObjectSize, "objects up to this many bytes are stored as ec-parity+1 replicas; -1 turns replication off")
	fs.Int64Var(&c.DeferMax, "defer-max", engine.DefaultDeferMax, "new objects up to this many bytes (at most --small-object-size) are committed with their record in the index and written to the user spaces right after; 0 or less writes them first")
	fs.StringVar(&c.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&c.LogFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&c.TLSCert, "tls-cert", "", "PEM certificate (chain) file: with --tls-key, serve HTTPS on both listeners")
	fs.StringVar(&c.TLSKey, "tls-key", "", "PEM private key file of --tls-cert")
	fs.DurationVar(&c.ProbeInterval, "probe-interval", engine.DefaultProbeInterval, "how often every user space is probed (and a down one reopened)")
	fs.DurationVar(&c.RepairAfter, "repair-after", engine.DefaultRepairAfter, "how long a user space may be down before its shards are rebuilt on other spaces")
	fs.DurationVar(&c.RepairInterval, "repair-interval", engine.DefaultRepairInterval, "how often a full repair pass runs unprompted")
	fs.DurationVar(&c.ScrubInterval, "scrub-interval", engine.DefaultScrubInterval, "pause between background scrub passes, which verify every shard; negative turns scrubbing off")
	fs.Int64Var(&c.ScrubRate, "scrub-rate", engine.DefaultScrubRate, "bytes per second a background scrub pass reads at most")
	fs.DurationVar(&c.UploadExpiry, "upload-expiry", engine.DefaultUploadExpiry, "S3 multipart uploads open longer than this are aborted and their parts deleted; negative keeps them forever")
	fs.StringVar(&c.ConfigFile, "config", "", "JSON file of flag values, e.g. {\"data\": \"/srv/jcs\"}")
}

// parseConfig parses args, then fills flags not given on the command line from the
// environment and the config file.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("jcs serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.flags(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	// The config file's own location may come from the environment.
	if !given["config"] {
		if v := getenv(envName("config")); v != "" {
			c.ConfigFile = v
		}
	}
	file, err := readConfigFile(c.ConfigFile)
	if err != nil {
		return nil, err
	}
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || f.Name == "config" {
			return
		}
		v, ok := getenv(envName(f.Name)), true
		if v == "" {
			v, ok = file[f.Name]
		}
		if ok && v != "" {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", f.Name, err))
			}
		}
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, c.validate()
}

func (c *config) validate() error {
	switch {
	case c.Data == "":
		return errors.New("--data must not be empty")
	case c.DefaultSpaces < 0:
		return errors.New("--default-spaces must not be negative")
	case c.ProbeInterval <= 0 || c.RepairAfter <= 0 || c.RepairInterval <= 0 || c.ScrubInterval == 0:
		return errors.New("--probe-interval, --repair-after, --repair-interval and --scrub-interval must be positive (--scrub-interval may be negative: off)")
	case c.ScrubRate <= 0:
		return errors.New("--scrub-rate must be positive")
	case c.UploadExpiry == 0:
		return errors.New("--upload-expiry must not be zero (negative: never)")
	case c.LogFormat != "text" && c.LogFormat != "json":
		return fmt.Errorf("--log-format %q: want text or json", c.LogFormat)
	}
	return nil
}

// envName is the environment variable for a flag: JCS_API_ADDR for api-addr.
func envName(flagName string) string {
	return "JCS_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// readConfigFile reads a JSON object of flag names to values (strings, numbers or booleans).
func readConfigFile(path string) (map[string]string, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		switch v := v.(type) {
		case string:
			out[k] = v
		case float64, bool:
			out[k] = fmt.Sprint(v)
		default:
			return nil, fmt.Errorf("config file %s: %q must be a string, number or boolean", path, k)
		}
	}
	return out, nil
}

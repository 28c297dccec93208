package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const adminUsage = `usage: jcs admin [--api URL] [--data DIR] COMMAND
  user create NAME        create a user (it can then own buckets)
  user list               list users
  user delete NAME        delete a user that owns no buckets, with its keys
  key create NAME         create an access key for user NAME; prints the secret once
  key list NAME           list user NAME's access keys (without secrets)
  key delete ACCESS_KEY   delete an access key
  repair                  run a repair pass now: rebuild missing shards, empty draining spaces
  scrub [--rate N]        read and verify every shard now, at most N bytes/s (0: unbounded)
  fsck [--verify]         check the index against the shards in the user spaces; --verify also
                          reads every shard; exits with status 1 if the report is not clean
  probe                   probe every user space now, then print their status
  status                  print the user spaces' health and usage, and repair and scrub progress
The maintenance commands (repair to status) print the server's report as indented JSON.
The command signs its requests with the root credentials (JCS_ACCESS_KEY/JCS_SECRET_KEY,
or credentials.json in --data) and talks to the running server's /admin/v1 routes.
`

// adminCommand manages users and access keys, and runs maintenance, through a running server.
func adminCommand(args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("jcs admin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, adminUsage) }
	api := fs.String("api", "http://127.0.0.1:7890", "base URL of the server's API listener")
	data := fs.String("data", "./data", "data directory holding credentials.json, if JCS_ACCESS_KEY/JCS_SECRET_KEY are unset")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a := fs.Args()
	maintenance := len(a) > 0 && maintenanceRoutes[a[0]] != ""
	if len(a) < 2 && !maintenance {
		fs.Usage()
		return fmt.Errorf("missing command")
	}
	c, err := loadCredentials(*data, getenv)
	if err != nil {
		return fmt.Errorf("%w; set JCS_ACCESS_KEY and JCS_SECRET_KEY or point --data at the server's data directory", err)
	}
	cl := adminClient{base: strings.TrimSuffix(*api, "/"), creds: c}
	ctx := context.Background()
	if maintenance {
		return maintenanceCommand(ctx, cl, a, stdout, stderr)
	}
	arg := func() (string, error) {
		if len(a) != 3 {
			return "", fmt.Errorf("jcs admin %s %s takes one argument", a[0], a[1])
		}
		return a[2], nil
	}
	switch a[0] + " " + a[1] {
	case "user create", "user delete":
		name, err := arg()
		if err != nil {
			return err
		}
		var out struct {
			User *struct {
				UserID uint64 `json:"userID"`
				Name   string `json:"name"`
			} `json:"user"`
		}
		if err := cl.call(ctx, "POST", "/admin/v1/"+strings.Replace(a[0]+"/"+a[1], " ", "/", 1), map[string]string{"name": name}, &out); err != nil {
			return err
		}
		if out.User != nil {
			fmt.Fprintf(stdout, "created user %s (ID %d)\n", out.User.Name, out.User.UserID)
		} else {
			fmt.Fprintf(stdout, "deleted user %s\n", name)
		}
	case "user list":
		var out struct {
			Users []struct {
				UserID     uint64    `json:"userID"`
				Name       string    `json:"name"`
				CreateTime time.Time `json:"createTime"`
			} `json:"users"`
		}
		if err := cl.call(ctx, "GET", "/admin/v1/user/list", nil, &out); err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tCREATED")
		for _, u := range out.Users {
			fmt.Fprintf(tw, "%d\t%s\t%s\n", u.UserID, u.Name, u.CreateTime.Format(time.RFC3339))
		}
		return tw.Flush()
	case "key create":
		name, err := arg()
		if err != nil {
			return err
		}
		var out struct {
			AccessKey struct {
				AccessKeyID     string `json:"accessKeyID"`
				SecretAccessKey string `json:"secretAccessKey"`
			} `json:"accessKey"`
		}
		if err := cl.call(ctx, "POST", "/admin/v1/accessKey/create", map[string]string{"name": name}, &out); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "AWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\n", out.AccessKey.AccessKeyID, out.AccessKey.SecretAccessKey)
		fmt.Fprintln(stderr, "jcs: the secret is shown only now; store it safely")
	case "key list":
		name, err := arg()
		if err != nil {
			return err
		}
		var out struct {
			AccessKeys []struct {
				AccessKeyID string    `json:"accessKeyID"`
				CreateTime  time.Time `json:"createTime"`
			} `json:"accessKeys"`
		}
		if err := cl.call(ctx, "GET", "/admin/v1/accessKey/list?name="+url.QueryEscape(name), nil, &out); err != nil {
			return err
		}
		for _, k := range out.AccessKeys {
			fmt.Fprintf(stdout, "%s\t%s\n", k.AccessKeyID, k.CreateTime.Format(time.RFC3339))
		}
	case "key delete":
		id, err := arg()
		if err != nil {
			return err
		}
		if err := cl.call(ctx, "POST", "/admin/v1/accessKey/delete", map[string]string{"accessKeyID": id}, nil); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "deleted access key %s\n", id)
	default:
		fs.Usage()
		return fmt.Errorf("unknown admin command %q", strings.Join(a, " "))
	}
	return nil
}

// maintenanceRoutes maps each maintenance command to the method of its /admin/v1 route.
var maintenanceRoutes = map[string]string{
	"repair": "POST", "scrub": "POST", "fsck": "POST", "probe": "POST", "status": "GET",
}

// errNotClean is the error of a fsck whose report is not clean: the process exits with status
// 1 after printing the report, so that scripts can rely on the status alone.
var errNotClean = errors.New("fsck: the report is not clean")

// maintenanceCommand runs repair, scrub, fsck, probe or status (args[0]) with its flags, and
// prints the server's report as indented JSON.
func maintenanceCommand(ctx context.Context, cl adminClient, args []string, stdout, stderr io.Writer) error {
	cmd := args[0]
	fs := flag.NewFlagSet("jcs admin "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var body any
	switch cmd {
	case "scrub":
		req := &struct {
			Rate int64 `json:"rate"`
		}{}
		fs.Int64Var(&req.Rate, "rate", 0, "bytes per second to read (0: unbounded)")
		body = req
	case "fsck":
		req := &struct {
			Verify bool `json:"verify"`
		}{}
		fs.BoolVar(&req.Verify, "verify", false, "read every shard and verify its checksums")
		body = req
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("jcs admin %s takes no arguments, got %q", cmd, fs.Args())
	}
	var report json.RawMessage
	if err := cl.call(ctx, maintenanceRoutes[cmd], "/admin/v1/"+cmd, body, &report); err != nil {
		return err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, report, "", "  "); err != nil {
		return fmt.Errorf("%s: unreadable report: %w", cmd, err)
	}
	out.WriteByte('\n')
	if _, err := stdout.Write(out.Bytes()); err != nil {
		return err
	}
	if cmd == "fsck" {
		var r struct {
			Clean *bool `json:"clean"`
		}
		if err := json.Unmarshal(report, &r); err != nil || r.Clean == nil {
			return fmt.Errorf("fsck: the report says nothing of being clean: %s", report)
		}
		if !*r.Clean {
			return errNotClean
		}
	}
	return nil
}

// adminClient calls the admin routes signed with the root credentials.
type adminClient struct {
	base  string
	creds credentials
}

// call sends a request with body as JSON (nil for none) and decodes the envelope's data into
// out (nil to ignore it); a non-OK envelope is an error carrying its message.
func (c adminClient) call(ctx context.Context, method, path string, body, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return err
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(payload))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256(payload)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	creds := aws.Credentials{AccessKeyID: c.creds.AccessKeyID, SecretAccessKey: c.creds.SecretAccessKey}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hash, "jcs", "any", time.Now()); err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var env struct {
		Code    string          `json:"code"`
		Message string          `json:"message"`
		Data    json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&env); err != nil {
		return fmt.Errorf("%s %s: HTTP %d with an unreadable answer: %v", method, path, resp.StatusCode, err)
	}
	if env.Code != "OK" {
		return fmt.Errorf("%s: %s", env.Code, env.Message)
	}
	if out != nil && len(env.Data) > 0 {
		return json.Unmarshal(env.Data, out)
	}
	return nil
}

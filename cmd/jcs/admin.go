package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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
The command signs its requests with the root credentials (JCS_ACCESS_KEY/JCS_SECRET_KEY,
or credentials.json in --data) and talks to the running server's /admin/v1 routes.
`

// adminCommand manages users and access keys through a running server.
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
	if len(a) < 2 {
		fs.Usage()
		return fmt.Errorf("missing command")
	}
	c, err := loadCredentials(*data, getenv)
	if err != nil {
		return fmt.Errorf("%w; set JCS_ACCESS_KEY and JCS_SECRET_KEY or point --data at the server's data directory", err)
	}
	cl := adminClient{base: strings.TrimSuffix(*api, "/"), creds: c}
	ctx := context.Background()
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

package nativeapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// decodeJSON decodes a body holding exactly one JSON value into v. Unknown fields are
// allowed (JCS clients send userID where it is not needed); syntax errors, wrong types and
// trailing data are BadArgument errors that say where.
func decodeJSON(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return badArgument("malformed JSON: data after the request object")
	}
	return nil
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return badArgument("request body is empty; a JSON object is required")
	case errors.As(err, &syn):
		return badArgument(fmt.Sprintf("malformed JSON at byte %d: %v", syn.Offset, syn))
	case errors.As(err, &typ):
		return badArgument(fmt.Sprintf("field %q: expected %s, got JSON %s", typ.Field, typ.Type, typ.Value))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badArgument("malformed JSON: unexpected end of input")
	}
	return badArgument("malformed JSON: " + err.Error())
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// jsonBody decodes the (already read, bounded) request body into v.
func jsonBody(r *http.Request, v any) error {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	return decodeJSON(bytes.NewReader(b), v)
}

// required returns a BadArgument error naming field if id is zero: IDs start at 1.
func required[T ~uint64](field string, id T) error {
	if id == 0 {
		return badArgument(field + " is required")
	}
	return nil
}

// queryID reads a required positive integer ID from the query.
func queryID(r *http.Request, name string) (uint64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return 0, badArgument("query parameter " + name + " is required")
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || v == 0 {
		return 0, badArgument(fmt.Sprintf("query parameter %s: %q is not a positive integer", name, s))
	}
	return v, nil
}

// queryInt reads an optional non-negative integer from the query; ok is false if absent.
func queryInt(r *http.Request, name string) (v int64, ok bool, err error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return 0, false, nil
	}
	v, err = strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 {
		return 0, false, badArgument(fmt.Sprintf("query parameter %s: %q is not a non-negative integer", name, s))
	}
	return v, true, nil
}

// queryBool reads an optional boolean from the query: true/false/1/0, absent meaning false.
func queryBool(r *http.Request, name string) (bool, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return false, nil
	}
	v, err := strconv.ParseBool(s)
	if err != nil {
		return false, badArgument(fmt.Sprintf("query parameter %s: %q is not a boolean", name, s))
	}
	return v, nil
}

package engine

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestKindOf(t *testing.T) {
	base := errors.New("cause")
	for _, tc := range []struct {
		name string
		err  error
		want Kind
	}{
		{"nil", nil, KindInternal},
		{"plain", base, KindInternal},
		{"engine error", &Error{Kind: KindNotFound, Err: base}, KindNotFound},
		{"wrapped engine error", fmt.Errorf("context: %w", &Error{Kind: KindInvalid}), KindInvalid},
		{"outermost wins", &Error{Kind: KindUnavailable, Err: &Error{Kind: KindInvalid}}, KindUnavailable},
		{"joined", errors.Join(base, &Error{Kind: KindPrecondition}), KindPrecondition},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, KindOf(tc.err))
		})
	}
}

func TestWrap(t *testing.T) {
	require.NoError(t, wrap("engine.X", nil))

	base := errors.New("disk on fire")
	err := wrap("engine.X", base)
	require.Equal(t, KindInternal, KindOf(err))
	require.ErrorIs(t, err, base)
	require.Equal(t, "engine.X: disk on fire", err.Error())

	inner := &Error{Op: "engine.GetPackage", Kind: KindNotFound, Package: "p", Err: base}
	err = wrap("engine.UploadObjects", inner)
	var e *Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, "engine.UploadObjects", e.Op)
	require.Equal(t, KindNotFound, e.Kind)
	require.Equal(t, "engine.GetPackage", inner.Op, "the inner error is not modified")
	require.ErrorIs(t, err, base)

	same := &Error{Op: "engine.X", Kind: KindInvalid}
	require.Same(t, same, wrap("engine.X", same))
}

func TestErrorMessage(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  *Error
		want string
	}{
		{"kind only", &Error{Op: "engine.X", Kind: KindNotFound}, "engine.X: not found"},
		{"all fields", &Error{Op: "engine.X", Kind: KindInvalid, Bucket: "b", Package: "p", Path: "a/b", Err: errors.New("bad")},
			`engine.X: bucket "b": package "p": path "a/b": bad`},
		{"helper cause without op", &Error{Op: "engine.X", Kind: KindUnavailable, Path: "f", Err: &Error{Kind: KindUnavailable, Err: errors.New("writing shards")}},
			`engine.X: path "f": writing shards`},
		{"no op", &Error{Kind: KindInvalid, Err: errors.New("bad")}, "bad"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.err.Error())
		})
	}
	require.Equal(t, "kind(200)", Kind(200).String())
}

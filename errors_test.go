package usermgmt_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// errNames returns the package-level Err* variables a file declares.
func errNames(t *testing.T, path string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	require.NoError(t, err)
	var names []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.VAR {
			continue
		}
		for _, spec := range g.Specs {
			for _, n := range spec.(*ast.ValueSpec).Names {
				if strings.HasPrefix(n.Name, "Err") {
					names = append(names, n.Name)
				}
			}
		}
	}
	sort.Strings(names)
	return names
}

// TestEveryDomainErrorReexported keeps the root's error list equal to the
// store's, so a host never needs package store to match an error. Only
// ErrMethodNotAllowed, which the HTTP layer alone answers, stays out.
func TestEveryDomainErrorReexported(t *testing.T) {
	want := errNames(t, "store/errors.go")
	got := errNames(t, "errors.go")
	for i, n := range want {
		if n == "ErrMethodNotAllowed" {
			want = append(want[:i:i], want[i+1:]...)
			break
		}
	}
	assert.Equal(t, want, got)
}

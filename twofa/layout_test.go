package twofa

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLayout keeps the package readable: one concern per file, and
// functions short enough to read at once. Refactors that grow a file or a
// function past these bounds should split it instead.
func TestLayout(t *testing.T) {
	const maxFileLines, maxFuncLines = 350, 45
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		require.NoError(t, err)
		f, err := parser.ParseFile(fset, name, src, 0)
		require.NoError(t, err)
		lines := fset.File(f.Pos()).LineCount()
		assert.LessOrEqual(t, lines, maxFileLines, "%s has %d lines", name, lines)
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			n := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
			assert.LessOrEqual(t, n, maxFuncLines, "%s: func %s has %d lines", name, fn.Name.Name, n)
		}
	}
}

package job

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/bulkassign/bulkassign/"

// TestDataFlowsOneWay: input -> planner -> runner -> client -> report. A package
// imports only packages further down that line (the client's vocabulary is shared by
// all), and the planner, runner and report never import a backend. Packages under
// internal/ are small helpers that import nothing of the module; anyone may use them.
func TestDataFlowsOneWay(t *testing.T) {
	allowed := map[string][]string{
		"pkg/report":  {},
		"pkg/client":  {},
		"pkg/planner": {"pkg/client", "pkg/report"},
		"pkg/runner":  {"pkg/client", "pkg/planner", "pkg/report"},
	}
	helpers, err := filepath.Glob(filepath.Join("..", "..", "internal", "*"))
	if err != nil || len(helpers) == 0 {
		t.Fatalf("no helper under internal/: %v", err)
	}
	for _, dir := range helpers {
		if imps := moduleImports(t, dir); len(imps) != 0 {
			t.Errorf("%s imports %v: a helper imports nothing of the module", dir, imps)
		}
	}
	for pkg, ok := range allowed {
		for _, imp := range moduleImports(t, filepath.Join("..", "..", pkg)) {
			if !slices.Contains(ok, imp) && !strings.HasPrefix(imp, "internal/") {
				t.Errorf("%s imports %s: only %v", pkg, imp, ok)
			}
		}
	}
	// A backend reaches only the vocabulary, its own helpers and the libraries.
	for _, backend := range []string{"pkg/client/partnercenter", "pkg/client/graph"} {
		for _, imp := range moduleImports(t, filepath.Join("..", "..", backend)) {
			if imp != "pkg/client" && !strings.HasPrefix(imp, "pkg/client/") {
				t.Errorf("%s imports %s", backend, imp)
			}
		}
	}
}

// moduleImports returns the module's packages that dir's non-test files import.
func moduleImports(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	fset := token.NewFileSet()
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if rest, ok := strings.CutPrefix(p, module); ok && !slices.Contains(out, rest) {
				out = append(out, rest)
			}
		}
	}
	if len(out) == 0 && len(entries) == 0 {
		t.Fatalf("%s: no files", dir)
	}
	return out
}

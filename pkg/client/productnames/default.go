package productnames

import (
	"embed"
	"errors"
	"io/fs"
	"sync"
)

// PinnedPath is where, in this package's directory, the pinned copy of Microsoft's table
// lives; scripts/update-productnames writes it there.
const PinnedPath = "pinned/products.csv"

//go:embed pinned
var pinned embed.FS

// Default returns the table read from the copy of Microsoft's table pinned in this
// package (see the package documentation for where it comes from). It is read once, on
// the first call, and shared. It never fails: a pinned copy that does not parse is caught
// by this package's tests. Should the copy be absent from a build, Default returns an
// empty table (Len 0) and the tests of the pinned copy are skipped.
func Default() *Table { return defaultTable() }

var defaultTable = sync.OnceValue(func() *Table {
	data, err := fs.ReadFile(pinned, PinnedPath)
	if errors.Is(err, fs.ErrNotExist) {
		var b builder
		return b.table()
	}
	if err != nil {
		panic("productnames: read the pinned table: " + err.Error())
	}
	var b builder
	if err := b.parse(data); err != nil {
		panic("productnames: the pinned table: " + err.Error())
	}
	return b.table()
})

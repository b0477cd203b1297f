package productnames

import (
	"bytes"
	"testing"
)

// BenchmarkDefault reads the pinned copy as Default does, once, on its first call.
func BenchmarkDefault(b *testing.B) {
	data := pinnedData(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var bl builder
		if err := bl.parse(data); err != nil {
			b.Fatal(err)
		}
		bl.table()
	}
}

// BenchmarkLoad reads the pinned copy from an io.Reader.
func BenchmarkLoad(b *testing.B) {
	data := pinnedData(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLookup resolves what an admin typed: a display name, a part number, a GUID.
func BenchmarkLookup(b *testing.B) {
	d := Default()
	b.ReportAllocs()
	for b.Loop() {
		for _, q := range []string{"Office 365 E3", "enterprisepremium", e3ID} {
			if len(d.Lookup(q)) != 1 {
				b.Fatal(q)
			}
		}
	}
}

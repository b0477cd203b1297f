package productnames

import (
	"cmp"
	"slices"
	"strings"
)

// table sorts and indexes the gathered products. It is called once per builder: it
// reuses the drafts' row counters.
func (b *builder) table() *Table {
	t := &Table{
		rows:        b.rows,
		products:    make([]Product, len(b.products)),
		byID:        make(map[string]int, len(b.products)),
		byPart:      make(map[string][]int, len(b.products)),
		byName:      make(map[string][]int, len(b.products)),
		plans:       make(map[string]Plan, len(b.plans)),
		plansByName: make(map[string][]string, 2*len(b.plans)),
	}
	names := make([]string, len(b.products))
	for i, p := range b.products {
		names[i] = p.Name
	}
	for i, key := range lowerAll(names) {
		b.products[i].key = key
	}
	slices.SortStableFunc(b.products, func(x, y *draft) int {
		if c := cmp.Compare(x.key, y.key); c != 0 {
			return c
		}
		if c := cmp.Compare(x.Name, y.Name); c != 0 {
			return c
		}
		return cmp.Compare(x.ID, y.ID)
	})
	b.gatherPlans()
	ints := make([]int, 0, 3*len(b.products))
	for i, p := range b.products {
		t.products[i] = p.Product
		t.byID[p.ID] = i
		addIndex(t.byName, p.key, i, &ints)
		for _, name := range p.moreNames {
			addIndex(t.byName, strings.ToLower(name), i, &ints)
		}
		for _, part := range p.moreParts {
			addIndex(t.byPart, strings.ToLower(part), i, &ints)
		}
		names[i] = p.PartNumber
	}
	for i, part := range lowerAll(names) {
		addIndex(t.byPart, part, i, &ints)
	}
	b.indexPlans(t)
	return t
}

// indexPlans fills t.plans and t.plansByName.
func (b *builder) indexPlans(t *Table) {
	n := 0
	for _, v := range b.plans {
		n += 2 * len(v.variants)
	}
	ids, names := make([]string, 0, n), make([]string, 0, n) // each name, and its plan
	for id, v := range b.plans {
		t.plans[id] = v.usual()
		for _, x := range v.variants {
			ids, names = append(ids, id), append(names, x.Name)
			if x.FriendlyName != "" {
				ids, names = append(ids, id), append(names, x.FriendlyName)
			}
		}
	}
	arena := make([]string, 0, len(ids))
	for i, name := range lowerAll(names) {
		addIndex(t.plansByName, name, ids[i], &arena)
	}
}

// lowerAll returns ss in lower case, the ASCII ones cut from one string.
func lowerAll(ss []string) []string {
	n := 0
	for _, s := range ss {
		n += len(s)
	}
	buf := make([]byte, 0, n)
	ends := make([]int, len(ss))
	for i, s := range ss {
		if !isASCII(s) {
			buf = append(buf, strings.ToLower(s)...)
		} else {
			for j := 0; j < len(s); j++ {
				c := s[j]
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				buf = append(buf, c)
			}
		}
		ends[i] = len(buf)
	}
	all, out := string(buf), make([]string, len(ss))
	start := 0
	for i, end := range ends {
		out[i], start = all[start:end], end
	}
	return out
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// gatherPlans sets each product's plans: those of its rows, in their order, each once,
// spelled as its first row spells it. They share one array, with the capacity of each
// product's part ending at its end.
func (b *builder) gatherPlans() {
	start := 0
	for _, p := range b.products { // p.plans becomes where p's rows go in byProduct
		start, p.plans = start+p.plans, start
	}
	byProduct := make([]listing, len(b.listed))
	for _, l := range b.listed {
		byProduct[l.p.plans] = l
		l.p.plans++
	}
	all := make([]Plan, 0, len(byProduct))
	for i := 0; i < len(byProduct); {
		p, from := byProduct[i].p, len(all)
		for ; i < len(byProduct) && byProduct[i].p == p; i++ {
			if l := byProduct[i]; l.v.mark != p {
				l.v.mark = p
				all = append(all, l.v.variants[l.variant].Plan)
			}
		}
		p.Plans = all[from:len(all):len(all)]
	}
}

// addIndex adds v to m[k] unless it is there already. A key's first value is cut
// from arena, to spare an allocation per key; its capacity ends there, so a second
// value copies it out.
func addIndex[V comparable](m map[string][]V, k string, v V, arena *[]V) {
	old, ok := m[k]
	if !ok {
		*arena = append(*arena, v)
		n := len(*arena)
		m[k] = (*arena)[n-1 : n : n]
		return
	}
	if !slices.Contains(old, v) {
		m[k] = append(old, v)
	}
}

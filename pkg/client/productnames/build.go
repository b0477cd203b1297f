package productnames

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
)

var errEmpty = errors.New("empty")

// builder gathers the rows of a table while Load reads them. Most fields repeat (a
// product's name on each of its rows, a plan's on each product that has it), so each
// distinct text is checked and cleaned once, on its first row, and later rows cost a
// comparison or a map look-up. The strings kept are copies: the fields the scanner
// gives are parts of the whole input, which the table must not hold on to.
type builder struct {
	rows      int
	products  []*draft              // in the order their first row appears
	byID      map[string]*draft     // by canonical GUID
	byRawID   map[string]*draft     // by GUID as written
	plans     map[string]*planVotes // by canonical plan ID
	byRawPlan map[string]*planVotes // by plan ID as written
	votes     []planVotes           // where new planVotes are cut from
	listed    []listing             // every (product, plan) row, in order
	cur       *draft                // the product of the row before
	curRaw    [iID + 1]string       // its name, part number and GUID as written
}

// draft is a product being gathered. Name and PartNumber are the first its rows give.
type draft struct {
	Product
	moreNames, moreParts []string // other names and part numbers its rows give
	key                  string   // the name in lower case, to sort by
	plans                int      // rows listing a plan, then where they start in table
}

// planVotes counts the spellings the rows give one service plan, to pick the usual one.
type planVotes struct {
	id       string
	variants []variant
	written  []spelling // each spelling as written, with the variant it cleans to
	mark     *draft     // in table: the product whose plans are being gathered
}

type variant struct {
	Plan
	rows int
}

type spelling struct {
	name, friendly string
	variant        int
}

// listing is one row's product and plan, spelled as the row spells it.
type listing struct {
	p       *draft
	v       *planVotes
	variant int
}

func (b *builder) add(r row) error {
	if r.got < r.need {
		return &ParseError{Line: r.line, Err: fmt.Errorf("%d fields, want at least %d", r.got, r.need)}
	}
	p, err := b.productOf(r)
	if err != nil {
		return err
	}
	b.rows++
	v := b.byRawPlan[r.fields[iPlanID]]
	if v == nil {
		if v, err = b.planOf(r); v == nil {
			return err // nil: a product row without a plan
		}
	}
	i, err := v.vote(r)
	if err != nil {
		return err
	}
	b.listed = append(b.listed, listing{p, v, i})
	p.plans++
	return nil
}

// field returns the row's field j checked and cleaned.
func field(r row, j int) (string, error) {
	if !utf8.ValidString(r.fields[j]) {
		return "", &ParseError{Line: r.line, Column: columns[j], Err: ErrEncoding}
	}
	return clean(r.fields[j]), nil
}

// productOf returns the draft of the row's product.
func (b *builder) productOf(r row) (*draft, error) {
	raw := [iID + 1]string{r.fields[iName], r.fields[iPart], r.fields[iID]}
	if b.cur != nil && raw == b.curRaw {
		return b.cur, nil
	}
	var f [iID + 1]string
	for j := range f {
		var err error
		if f[j], err = field(r, j); err != nil {
			return nil, err
		}
		if f[j] == "" {
			return nil, &ParseError{Line: r.line, Column: columns[j], Err: errEmpty}
		}
	}
	p := b.byRawID[raw[iID]]
	if p == nil {
		id, err := canonicalID(f[iID])
		if err != nil {
			return nil, &ParseError{Line: r.line, Column: colID, Err: err}
		}
		if p = b.byID[id]; p == nil {
			p = b.newDraft(id, f[iName], f[iPart])
		}
		b.byRawID[cloneUnless(raw[iID], p.ID)] = p
	}
	if f[iName] != p.Name && !slices.Contains(p.moreNames, f[iName]) {
		p.moreNames = append(p.moreNames, strings.Clone(f[iName]))
	}
	if f[iPart] != p.PartNumber && !slices.Contains(p.moreParts, f[iPart]) {
		p.moreParts = append(p.moreParts, strings.Clone(f[iPart]))
	}
	b.cur, b.curRaw = p, raw
	return p, nil
}

// init makes the builder's maps, for a text of about lines rows.
func (b *builder) init(lines int) {
	b.byID = make(map[string]*draft, 512)
	b.byRawID = make(map[string]*draft, 512)
	b.plans = make(map[string]*planVotes, 512)
	b.byRawPlan = make(map[string]*planVotes, 512)
	b.listed = make([]listing, 0, lines)
}

func (b *builder) newDraft(id, name, part string) *draft {
	p := &draft{Product: Product{ID: id, Name: strings.Clone(name), PartNumber: strings.Clone(part)}}
	b.byID[id] = p
	b.products = append(b.products, p)
	return p
}

// planOf returns the votes of the row's plan, the first time its ID is written so.
// It returns nil and no error for a row without a plan.
func (b *builder) planOf(r row) (*planVotes, error) {
	s, err := field(r, iPlanID)
	if err != nil {
		return nil, err
	}
	if s == "" {
		if name, err := field(r, iPlanName); err != nil || name == "" {
			return nil, err
		}
	}
	id, err := canonicalID(s)
	if err != nil {
		return nil, &ParseError{Line: r.line, Column: colPlanID, Err: err}
	}
	v := b.plans[id]
	if v == nil {
		if len(b.votes) == cap(b.votes) {
			b.votes = make([]planVotes, 0, 256)
		}
		b.votes = append(b.votes, planVotes{id: id})
		v = &b.votes[len(b.votes)-1]
		b.plans[id] = v
	}
	b.byRawPlan[cloneUnless(r.fields[iPlanID], id)] = v
	return v, nil
}

// vote counts the row's spelling of the plan and returns its variant.
func (v *planVotes) vote(r row) (int, error) {
	name, friendly := r.fields[iPlanName], r.fields[iFriendly]
	for _, w := range v.written {
		if w.name == name && w.friendly == friendly {
			v.variants[w.variant].rows++
			return w.variant, nil
		}
	}
	p := Plan{ID: v.id}
	var err error
	if p.Name, err = field(r, iPlanName); err != nil {
		return 0, err
	}
	if p.Name == "" {
		return 0, &ParseError{Line: r.line, Column: colPlanName, Err: errEmpty}
	}
	if p.FriendlyName, err = field(r, iFriendly); err != nil {
		return 0, err
	}
	i := slices.IndexFunc(v.variants, func(x variant) bool { return x.Plan == p })
	if i < 0 {
		p.Name, p.FriendlyName = strings.Clone(p.Name), strings.Clone(p.FriendlyName)
		i = len(v.variants)
		v.variants = append(v.variants, variant{Plan: p})
	}
	p = v.variants[i].Plan
	v.written = append(v.written, spelling{cloneUnless(name, p.Name), cloneUnless(friendly, p.FriendlyName), i})
	v.variants[i].rows++
	return i, nil
}

// cloneUnless returns kept if s equals it, else a copy of s.
func cloneUnless(s, kept string) string {
	if s == kept {
		return kept
	}
	return strings.Clone(s)
}

// usual is the spelling most rows give the plan; the first one seen breaks a tie.
func (v *planVotes) usual() Plan {
	best := 0
	for i, x := range v.variants {
		if x.rows > v.variants[best].rows {
			best = i
		}
	}
	return v.variants[best].Plan
}

// canonicalID checks that s is a GUID and returns it in lower case with hyphens.
func canonicalID(s string) (string, error) {
	if len(s) != 36 {
		return "", fmt.Errorf("not a GUID: %q", shorten(s))
	}
	u, err := uuid.Parse(s)
	if err != nil {
		return "", fmt.Errorf("not a GUID: %q", shorten(s))
	}
	return u.String(), nil
}

// queryID reads a GUID given by a caller: any case, braces or a urn:uuid: prefix allowed.
func queryID(s string) (string, bool) {
	u, err := uuid.Parse(strings.TrimSpace(s))
	if err != nil {
		return "", false
	}
	return u.String(), true
}

func shorten(s string) string {
	const max = 60
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

package planner

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/gocarina/gocsv"

	"github.com/bulkassign/bulkassign/pkg/client"
)

// Catalogue is the one Partner Center call the planner makes: the customer's subscribed
// SKUs with their available units and service plans. *client.Client satisfies it.
//
// See https://learn.microsoft.com/partner-center/developer/get-a-list-of-available-licenses-by-license-group
type Catalogue interface {
	GetSubscribedSkus(ctx context.Context, customerID string, groups ...client.LicenseGroupID) ([]client.SubscribedSku, *client.Response, error)
}

// Options are the settings of Build.
type Options struct {
	// DefaultCustomer is the customer ID (--customer) of rows without a customer value.
	DefaultCustomer string
	// Shortfall is what to do when a SKU falls short; "" means ShortfallAbort.
	Shortfall Shortfall
	// Done reports whether an earlier run already succeeded with a row, given the row's
	// customer (its customer value, else DefaultCustomer), user, sku and remove_sku as
	// written in the file, trimmed. Such rows are left out of the plan and counted in
	// Plan.Resumed. Done is called once per valid row, from Build's goroutine; nil means
	// no row is done.
	Done func(customer, user, sku, removeSku string) bool
	// Users, when set, is the user pre-flight (--check-users): once the file is read
	// without problems, Build lists each customer's users once (after its catalogue) and
	// checks every row's user, matched by object ID or user principal name in any case.
	// Rows whose user is not listed or not active, and rows that assign a SKU to a user
	// without a usage location, are planned as skipped with the reason; they request no
	// units. Rows left out by Done are not checked. nil means no check.
	Users UserDirectory
}

// Column names of the input file, after the header is folded to lower case and trimmed.
const (
	colUser          = "user"
	colSku           = "sku"
	colRemoveSku     = "remove_sku"
	colExcludedPlans = "excluded_plans"
	colCustomer      = "customer"
)

var knownColumns = []string{colUser, colSku, colRemoveSku, colExcludedPlans, colCustomer}

// inputRow is one data row as gocsv's unmarshaller fills it.
type inputRow struct {
	User          string `csv:"user"`
	Sku           string `csv:"sku"`
	RemoveSku     string `csv:"remove_sku"`
	ExcludedPlans string `csv:"excluded_plans"`
	Customer      string `csv:"customer"`
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// utf16Message is the problem of a file saved as UTF-16 ("Unicode text").
const utf16Message = "the file is UTF-16 text: save it as CSV UTF-8 (comma delimited)"

var normalizerOnce sync.Once

// normalizeHeader folds a header name for matching: zero-width characters (such as a
// stray byte-order mark) removed, surrounding space trimmed, lower case.
func normalizeHeader(h string) string {
	if strings.ContainsAny(h, "\u200B\u200C\u200D\uFEFF") {
		h = strings.Map(func(r rune) rune {
			switch r {
			case '\u200B', '\u200C', '\u200D', '\uFEFF':
				return -1
			}
			return r
		}, h)
	}
	return strings.ToLower(strings.TrimSpace(h))
}

// rowRec is one planned row, compact and without pointers.
type rowRec struct {
	line    int32
	user    uint32 // arena reference
	userLen uint16
	flags   uint8
	group   uint8
	cust    int32 // index into custSpell
	assign  int32 // index into assigns, or -1
	remove  int32 // index into removes, or -1
	update  int32 // while building, the build-time update; then Plan.Update index or -1
	// aux is, while reading, a 32-bit hash of the row's customer, license group and user
	// (folded to lower case); after grouping, for a row with flagDupAssign, the index of
	// the earlier row that assigns the same SKU; in the finished plan, the index + 1 of
	// the row's user in userRecs, or 0 when the user was not listed (or not checked).
	aux uint32
}

const (
	flagDupAssign       uint8 = 1 << iota // an earlier row of the update assigns the same SKU
	flagDupRemove                         // an earlier row of the update removes the same SKU
	flagSkipped                           // skipped for shortfall
	flagUserNotFound                      // skipped: the customer's listing has no such user
	flagUserInactive                      // skipped: the user is not active
	flagNoUsageLocation                   // skipped: the row assigns a SKU and the user has no usage location

	flagsUserSkip = flagUserNotFound | flagUserInactive | flagNoUsageLocation
	flagsSkip     = flagSkipped | flagsUserSkip
)

// custSpelling is one way the file writes a customer ID.
type custSpelling struct {
	text  string
	valid bool
	cust  int32 // index into customers once the customer's catalogue is fetched, else -1
}

type assignKey struct {
	cust      int32
	sku, excl string
}

// assignVariant is one resolved (customer, sku, excluded_plans) spelling.
type assignVariant struct {
	text     string // the sku as written, trimmed
	exclText string // the excluded_plans cell as written, trimmed
	sku      int32  // -1 when it does not resolve
	excl     int32  // index into excl, -1 when none
	problems []Problem
}

type removeKey struct {
	cust int32
	text string
}

// removeVariant is one resolved (customer, remove_sku) spelling.
type removeVariant struct {
	text     string
	sku      int32
	problems []Problem
}

// exclSet is a resolved excluded_plans cell.
type exclSet struct {
	ids   []string // service plan IDs in the order written
	canon string   // the IDs sorted, lower case, for comparing
}

// tables are what rows refer to; the builder fills them and the plan keeps them.
type tables struct {
	rows      chunked[rowRec]
	users     arena
	custSpell []custSpelling
	customers []customerInfo
	skus      []skuInfo
	groups    []string
	assigns   []assignVariant
	removes   []removeVariant
	excl      []exclSet

	// With Options.Users: the listed users that rows name, and their object IDs and
	// states (other than active).
	userRecs []userRec
	userIDs  arena
	states   []string
}

// builder reads the input and builds a plan.
type builder struct {
	tables
	ctx  context.Context
	cat  Catalogue
	opts Options

	problems []Problem
	warnings []Warning
	resumed  int

	hasSku     bool // the file has a sku column
	headerCols int

	custSpellIdx map[string]int32
	customerIdx  map[string]int32
	groupIdx     map[string]uint8
	assignIdx    map[assignKey]int32
	removeIdx    map[removeKey]int32

	nUpdates int32    // build-time updates, numbered by matchUpdates
	uses     []skuUse // scratch for checkUpdate

	// With Options.Users: per build-time update, the index + 1 in userRecs of its user,
	// 0 when not listed; and how many users each customer's listing returned.
	updUser     []int32
	usersListed []int
}

// Build reads the input CSV from r and plans it: every row validated and resolved against
// its customer's catalogue (one GetSubscribedSkus call per customer), changes grouped into
// one LicenseUpdate per customer, user and license group, and capacity checked per SKU.
//
// With Options.Users set, Build then lists each customer's users (one ListUsersPages call
// per customer, never a call per row, each page matched as it arrives and dropped) and
// skips the rows whose user Partner Center would refuse, before capacity is checked:
// skipped rows request no units.
//
// Build returns a *InputError listing every problem of the file, each with its line, when
// any row cannot be planned; a fetch failure of a catalogue wrapped as "get subscribed skus
// for customer <id>: ..."; a listing failure wrapped as "list users of customer <id>: ...";
// and under ShortfallAbort, when some SKU falls short, the full plan together with a
// *ShortfallError. In every one of these cases nothing may be sent.
//
// The file is read as a stream and the plan is kept compact: a million rows plan in
// about a second, in under 200 MB (scripts/plan-bench.sh).
func Build(ctx context.Context, r io.Reader, cat Catalogue, opts Options) (*Plan, error) {
	policy := opts.Shortfall
	switch policy {
	case "":
		policy = ShortfallAbort
	case ShortfallAbort, ShortfallPartial:
	default:
		return nil, fmt.Errorf("plan input: unknown shortfall policy %q: want %q or %q", opts.Shortfall, ShortfallAbort, ShortfallPartial)
	}
	b := &builder{
		ctx:          ctx,
		cat:          cat,
		opts:         opts,
		custSpellIdx: make(map[string]int32),
		customerIdx:  make(map[string]int32),
		groupIdx:     make(map[string]uint8),
		assignIdx:    make(map[assignKey]int32),
		removeIdx:    make(map[removeKey]int32),
	}
	b.opts.DefaultCustomer = strings.TrimSpace(opts.DefaultCustomer)
	if d := b.opts.DefaultCustomer; d != "" && !isGUID(d) {
		return nil, &InputError{Problems: []Problem{newProblem(0, "--customer", d, "not a customer ID: want a GUID such as %s", exampleGUID)}}
	}
	if err := b.read(r); err != nil {
		return nil, err
	}
	b.matchUpdates() // over the rows without problems: reports contradictions among them too
	if len(b.problems) > 0 {
		slices.SortStableFunc(b.problems, func(x, y Problem) int { return x.Line - y.Line })
		return nil, &InputError{Problems: b.problems}
	}
	if opts.Users != nil {
		if err := b.checkUsers(); err != nil {
			return nil, err
		}
	}
	p := b.finish(policy)
	if p.shortfall && policy == ShortfallAbort {
		short := &ShortfallError{}
		for _, c := range p.Capacity {
			if c.Shortfall > 0 {
				short.Capacity = append(short.Capacity, c)
			}
		}
		return p, short
	}
	return p, nil
}

// read streams the CSV through gocsv's pull-style unmarshaller. encoding/csv reports the
// file line of each record (FieldPos) and of each syntax error (ParseError), which gocsv's
// record numbers cannot.
func (b *builder) read(r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	if head, err := br.Peek(len(utf8BOM)); err == nil && bytes.Equal(head, utf8BOM) {
		if _, err := br.Discard(len(utf8BOM)); err != nil {
			return fmt.Errorf("read input: %w", err)
		}
	}
	if head, err := br.Peek(2); err == nil && (head[0] == 0xFF && head[1] == 0xFE || head[0] == 0xFE && head[1] == 0xFF) {
		b.problems = append(b.problems, Problem{Message: utf16Message})
		return nil
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = 0 // the header sets the count; a row with another count is a ParseError with its line
	cr.ReuseRecord = true  // gocsv copies each field into a new inputRow
	normalizerOnce.Do(func() { gocsv.SetHeaderNormalizer(normalizeHeader) })

	um, err := gocsv.NewUnmarshaller(cr, (*inputRow)(nil))
	if err != nil {
		if errors.Is(err, io.EOF) {
			b.problems = append(b.problems, Problem{Message: "empty file: no header row"})
			return nil
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			b.parseProblem(pe)
			return nil
		}
		return fmt.Errorf("read input header: %w", err)
	}
	headerLine, _ := cr.FieldPos(0)
	if err := b.checkHeader(um, headerLine); err != nil || len(b.problems) > 0 {
		return err
	}
	for n := 0; ; n++ {
		if n&1023 == 0 {
			if err := b.ctx.Err(); err != nil {
				return fmt.Errorf("read input: %w", err)
			}
		}
		v, err := um.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				b.parseProblem(pe)
				continue
			}
			return fmt.Errorf("read input: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if err := b.addRow(line, v.(*inputRow)); err != nil {
			return err
		}
	}
}

// parseProblem records a CSV syntax error at the line its record starts on.
func (b *builder) parseProblem(pe *csv.ParseError) {
	if errors.Is(pe.Err, csv.ErrFieldCount) {
		b.problems = append(b.problems, Problem{Line: pe.StartLine,
			Message: fmt.Sprintf("wrong number of fields: the header has %d", b.headerCols)})
		return
	}
	where := fmt.Sprintf("column %d", pe.Column)
	if pe.Line != pe.StartLine {
		where = fmt.Sprintf("line %d, column %d", pe.Line, pe.Column)
	}
	b.problems = append(b.problems, Problem{Line: pe.StartLine,
		Message: fmt.Sprintf("malformed CSV: %v (%s)", pe.Err, where)})
}

// checkHeader checks the columns: user required, sku required unless remove_sku is
// there, no known column twice; unknown columns draw one warning.
func (b *builder) checkHeader(um *gocsv.Unmarshaller, line int) error {
	headers := um.Headers
	renormalize := false
	for _, h := range headers {
		if normalizeHeader(h) != h {
			renormalize = true // another package changed gocsv's normalizer
		}
	}
	if renormalize {
		if err := um.RenormalizeHeaders(func(hs []string) []string {
			out := make([]string, len(hs))
			for i, h := range hs {
				out[i] = normalizeHeader(h)
			}
			return out
		}); err != nil {
			return fmt.Errorf("read input header: %w", err)
		}
		headers = um.Headers
	}
	b.headerCols = len(headers)
	first := make(map[string]int, len(headers))
	var unknown []string
	for i, h := range headers {
		known := slices.Contains(knownColumns, h)
		if j, dup := first[h]; dup {
			if known {
				b.problems = append(b.problems, Problem{Line: line, Column: h,
					Message: fmt.Sprintf("duplicate column %q: columns %d and %d", h, j+1, i+1)})
			}
			continue
		}
		first[h] = i
		if !known {
			if h == "" {
				unknown = append(unknown, fmt.Sprintf("column %d (no name)", i+1))
			} else {
				unknown = append(unknown, fmt.Sprintf("%q", shorten(h)))
			}
		}
	}
	_, hasUser := first[colUser]
	_, b.hasSku = first[colSku]
	_, hasRemove := first[colRemoveSku]
	quoted := make([]string, len(headers))
	for i, h := range headers {
		quoted[i] = fmt.Sprintf("%q", shorten(h))
	}
	has := strings.Join(quoted, ", ")
	if len(headers) == 1 && strings.Contains(headers[0], ";") {
		has += `; the file seems to separate fields with ";": save it comma-separated`
	}
	if !hasUser {
		b.problems = append(b.problems, Problem{Line: line, Column: colUser,
			Message: fmt.Sprintf("missing required column %q (the header has %s)", colUser, has)})
	}
	if !b.hasSku && !hasRemove {
		b.problems = append(b.problems, Problem{Line: line, Column: colSku,
			Message: fmt.Sprintf("missing required column %q (or %q in a file of removals only; the header has %s)", colSku, colRemoveSku, has)})
	}
	if len(unknown) > 0 {
		b.warnings = append(b.warnings, Warning{Line: line,
			Message: fmt.Sprintf("ignoring unknown column(s) %s; the columns are %s", strings.Join(unknown, ", "), strings.Join(knownColumns, ", "))})
	}
	return nil
}

// addRow validates one data row, resolves it and adds it to its update. Problems are
// collected; the error is for failures that stop planning (a catalogue fetch).
func (b *builder) addRow(line int, in *inputRow) error {
	if in.User == "" && in.Sku == "" && in.RemoveSku == "" && in.ExcludedPlans == "" && in.Customer == "" {
		return nil
	}
	before := len(b.problems)
	raw := [...]struct{ col, v string }{
		{colUser, in.User}, {colSku, in.Sku}, {colRemoveSku, in.RemoveSku},
		{colExcludedPlans, in.ExcludedPlans}, {colCustomer, in.Customer},
	}
	for _, f := range raw {
		if msg := fieldProblem(f.v); msg != "" {
			b.problems = append(b.problems, newProblem(line, f.col, f.v, "%s", msg))
		}
	}
	if len(b.problems) > before {
		return nil
	}
	user := strings.TrimSpace(in.User)
	sku := strings.TrimSpace(in.Sku)
	rem := strings.TrimSpace(in.RemoveSku)
	excl := strings.TrimSpace(in.ExcludedPlans)
	custText := strings.TrimSpace(in.Customer)
	if user == "" && sku == "" && rem == "" && excl == "" && custText == "" {
		return nil // a blank row, such as ",,,"
	}

	if custText == "" {
		custText = b.opts.DefaultCustomer
	}
	spell := int32(-1)
	switch {
	case custText == "":
		b.problems = append(b.problems, newProblem(line, colCustomer, "",
			"no customer: the row has no customer value and --customer is not set"))
	default:
		spell = b.spelling(custText)
		if !b.custSpell[spell].valid {
			b.problems = append(b.problems, newProblem(line, colCustomer, custText, "not a customer ID: want a GUID such as %s", exampleGUID))
		}
	}
	if user == "" {
		b.problems = append(b.problems, newProblem(line, colUser, "", "empty: every row needs the user's object ID or user principal name"))
	} else if msg := userProblem(user); msg != "" {
		b.problems = append(b.problems, newProblem(line, colUser, user, "%s", msg))
	}
	if sku == "" && rem == "" {
		if b.hasSku {
			b.problems = append(b.problems, newProblem(line, colSku, "", "empty and no remove_sku: name a SKU to assign or to remove"))
		} else {
			b.problems = append(b.problems, newProblem(line, colRemoveSku, "", "empty: without a sku column every row needs a remove_sku"))
		}
	}
	if sku == "" && excl != "" {
		b.problems = append(b.problems, newProblem(line, colExcludedPlans, excl, "given without a sku: excluded plans belong to the SKU assigned"))
	}
	if len(b.problems) > before {
		return nil
	}

	if b.opts.Done != nil && b.opts.Done(custText, user, sku, rem) {
		b.resumed++
		return nil
	}
	cust, err := b.customer(spell)
	if err != nil {
		return err
	}
	rec := rowRec{line: int32(line), cust: spell, assign: -1, remove: -1}
	aSku, rSku := int32(-1), int32(-1)
	if sku != "" {
		rec.assign = b.assignVariant(cust, sku, excl)
		v := &b.assigns[rec.assign]
		aSku = v.sku
		b.addProblems(line, v.problems)
	}
	if rem != "" {
		rec.remove = b.removeVariant(cust, rem)
		v := &b.removes[rec.remove]
		rSku = v.sku
		b.addProblems(line, v.problems)
	}
	if len(b.problems) > before {
		return nil
	}
	switch {
	case aSku >= 0 && rSku >= 0 && aSku == rSku:
		b.problems = append(b.problems, newProblem(line, colRemoveSku, rem,
			"the row both assigns and removes %s: a user cannot get and lose the same SKU", b.skus[aSku].label()))
		return nil
	case aSku >= 0 && rSku >= 0 && b.skus[aSku].group != b.skus[rSku].group:
		b.problems = append(b.problems, newProblem(line, colRemoveSku, rem,
			"%s is in license group %s but %s is in %s; one request carries one license group, so assign and remove them in separate rows",
			b.skus[rSku].label(), b.groups[b.skus[rSku].group], b.skus[aSku].label(), b.groups[b.skus[aSku].group]))
		return nil
	case aSku >= 0:
		rec.group = b.skus[aSku].group
	default:
		rec.group = b.skus[rSku].group
	}
	return b.appendRow(rec, user)
}

// appendRow stores a resolved row. Rows are matched to their updates, and checked for
// duplicates and contradictions, once the whole file is read (see group).
func (b *builder) appendRow(rec rowRec, user string) error {
	ref, err := b.users.add(user)
	if err != nil {
		return fmt.Errorf("read input: %w", err)
	}
	rec.user, rec.userLen = ref, uint16(len(user))
	h := hashUser(b.custSpell[rec.cust].cust, rec.group, user)
	rec.aux = uint32(h ^ h>>32)
	b.rows.add(rec)
	return nil
}

func (t *tables) assignSku(r *rowRec) int32 {
	if r.assign < 0 {
		return -1
	}
	return t.assigns[r.assign].sku
}

func (t *tables) removeSku(r *rowRec) int32 {
	if r.remove < 0 {
		return -1
	}
	return t.removes[r.remove].sku
}

func (t *tables) exclCanon(r *rowRec) string {
	if r.assign < 0 || t.assigns[r.assign].excl < 0 {
		return ""
	}
	return t.excl[t.assigns[r.assign].excl].canon
}

// addProblems records a variant's problems at line.
func (b *builder) addProblems(line int, ps []Problem) {
	for _, p := range ps {
		p.Line = line
		b.problems = append(b.problems, p)
	}
}

// spelling returns the index of a customer spelling, adding it if new.
func (b *builder) spelling(text string) int32 {
	if i, ok := b.custSpellIdx[text]; ok {
		return i
	}
	text = strings.Clone(text)
	i := int32(len(b.custSpell))
	b.custSpell = append(b.custSpell, custSpelling{text: text, valid: isGUID(text), cust: -1})
	b.custSpellIdx[text] = i
	return i
}

// customer returns the customer of a (valid) spelling, fetching its catalogue the first
// time the customer appears: one call per customer, whatever the spelling's case.
func (b *builder) customer(spell int32) (int32, error) {
	cs := &b.custSpell[spell]
	if cs.cust >= 0 {
		return cs.cust, nil
	}
	key := strings.ToLower(cs.text)
	if c, ok := b.customerIdx[key]; ok {
		cs.cust = c
		return c, nil
	}
	if b.cat == nil {
		return -1, fmt.Errorf("get subscribed skus for customer %s: no catalogue", cs.text)
	}
	skus, _, err := b.cat.GetSubscribedSkus(b.ctx, cs.text, client.Group1, client.Group2)
	if err != nil {
		return -1, fmt.Errorf("get subscribed skus for customer %s: %w", cs.text, err)
	}
	c := int32(len(b.customers))
	info := customerInfo{id: cs.text, byKey: make(map[string][]int32)}
	for _, s := range skus {
		id := strings.TrimSpace(s.ProductSku.ID)
		if id == "" || slices.ContainsFunc(info.byKey[strings.ToLower(id)], func(i int32) bool { return strings.EqualFold(b.skus[i].id, id) }) {
			continue // not assignable, or listed twice
		}
		g, err := b.licenseGroup(s.ProductSku.LicenseGroupID)
		if err != nil {
			return -1, fmt.Errorf("get subscribed skus for customer %s: %w", cs.text, err)
		}
		si := int32(len(b.skus))
		b.skus = append(b.skus, skuInfo{
			cust: c, id: id, name: s.ProductSku.Name, part: s.ProductSku.SkuPartNumber,
			group: g, available: s.AvailableUnits, plans: s.ServicePlans,
		})
		info.skus = append(info.skus, si)
		for _, k := range []string{id, s.ProductSku.Name, s.ProductSku.SkuPartNumber} {
			k = strings.ToLower(strings.TrimSpace(k))
			if k != "" && !slices.Contains(info.byKey[k], si) {
				info.byKey[k] = append(info.byKey[k], si)
			}
		}
	}
	b.customers = append(b.customers, info)
	b.customerIdx[key] = c
	cs.cust = c
	return c, nil
}

// licenseGroup interns a license group as the catalogue spells it, in lower case.
func (b *builder) licenseGroup(g string) (uint8, error) {
	g = strings.ToLower(strings.TrimSpace(g))
	if i, ok := b.groupIdx[g]; ok {
		return i, nil
	}
	if len(b.groups) == 256 {
		return 0, fmt.Errorf("more than 256 license groups")
	}
	i := uint8(len(b.groups))
	b.groups = append(b.groups, g)
	b.groupIdx[g] = i
	return i, nil
}

// assignVariant resolves (once per spelling) the SKU and excluded plans of an assignment.
func (b *builder) assignVariant(cust int32, sku, excl string) int32 {
	key := assignKey{cust: cust, sku: sku, excl: excl}
	if i, ok := b.assignIdx[key]; ok {
		return i
	}
	key.sku, key.excl = strings.Clone(sku), strings.Clone(excl)
	v := assignVariant{text: key.sku, exclText: key.excl, sku: -1, excl: -1}
	if s, p := b.resolveSku(cust, colSku, sku); p != nil {
		v.problems = append(v.problems, *p)
	} else if ids, ps := b.resolvePlans(s, excl); len(ps) > 0 {
		v.problems = ps
	} else {
		v.sku = s
		if len(ids) > 0 {
			canon := make([]string, len(ids))
			for i, id := range ids {
				canon[i] = strings.ToLower(id)
			}
			slices.Sort(canon)
			v.excl = int32(len(b.excl))
			b.excl = append(b.excl, exclSet{ids: ids, canon: strings.Join(canon, ";")})
		}
	}
	i := int32(len(b.assigns))
	b.assigns = append(b.assigns, v)
	b.assignIdx[key] = i
	return i
}

// removeVariant resolves (once per spelling) the SKU of a removal.
func (b *builder) removeVariant(cust int32, rem string) int32 {
	key := removeKey{cust: cust, text: rem}
	if i, ok := b.removeIdx[key]; ok {
		return i
	}
	key.text = strings.Clone(rem)
	v := removeVariant{text: key.text, sku: -1}
	if s, p := b.resolveSku(cust, colRemoveSku, rem); p != nil {
		v.problems = append(v.problems, *p)
	} else {
		v.sku = s
	}
	i := int32(len(b.removes))
	b.removes = append(b.removes, v)
	b.removeIdx[key] = i
	return i
}

// finish counts capacity, applies the shortfall policy, numbers the updates in the order
// of their first planned rows and returns the plan.
func (b *builder) finish(policy Shortfall) *Plan {
	n := b.rows.len()
	for i := range n {
		r := b.rows.at(i)
		if s := b.assignSku(r); s >= 0 {
			b.skus[s].used = true
			if r.flags&(flagDupAssign|flagsUserSkip) == 0 {
				b.skus[s].requested++
			}
		}
		if s := b.removeSku(r); s >= 0 {
			b.skus[s].used = true
		}
	}
	shortfall := false
	for i := range b.skus {
		s := &b.skus[i]
		if s.used && s.requested > s.available {
			shortfall = true
			s.reason = fmt.Sprintf("insufficient licenses: %s has %d available, %d requested", s.name, s.available, s.requested)
		}
		s.granted = s.requested
	}
	if shortfall && policy == ShortfallPartial {
		for i := range b.skus {
			b.skus[i].granted = 0
		}
		for i := range n {
			r := b.rows.at(i)
			s := b.assignSku(r)
			if s < 0 || r.flags&flagsUserSkip != 0 {
				continue
			}
			if r.flags&flagDupAssign != 0 {
				r.flags |= b.rows.at(int(r.aux)).flags & flagSkipped
				continue
			}
			if b.skus[s].granted < b.skus[s].available {
				b.skus[s].granted++
			} else {
				r.flags |= flagSkipped
			}
		}
	}

	// Number the updates by their first planned row; lay out their rows in file order.
	newIdx := make([]int32, b.nUpdates)
	for i := range newIdx {
		newIdx[i] = -1
	}
	nUpd, planned := int32(0), 0
	for i := range n {
		r := b.rows.at(i)
		if r.flags&flagsSkip != 0 {
			continue
		}
		planned++
		if newIdx[r.update] < 0 {
			newIdx[r.update] = nUpd
			nUpd++
		}
	}
	start := make([]int32, nUpd+1)
	for i := range n {
		r := b.rows.at(i)
		r.aux = 0
		if b.updUser != nil {
			r.aux = uint32(b.updUser[r.update])
		}
		if r.flags&flagsSkip != 0 {
			r.update = -1
			continue
		}
		r.update = newIdx[r.update]
		start[r.update+1]++
	}
	for i := 1; i < len(start); i++ {
		start[i] += start[i-1]
	}
	fill := newIdx[:nUpd] // reuse: the next free slot of each update
	copy(fill, start[:nUpd])
	updRows := make([]int32, planned)
	for i := range n {
		r := b.rows.at(i)
		if r.update >= 0 {
			updRows[fill[r.update]] = int32(i)
			fill[r.update]++
		}
	}

	// Units freed: each planned removal once per update.
	var seen []int32
	for u := range nUpd {
		seen = seen[:0]
		for _, ri := range updRows[start[u]:start[u+1]] {
			if s := b.removeSku(b.rows.at(int(ri))); s >= 0 && !slices.Contains(seen, s) {
				seen = append(seen, s)
				b.skus[s].freed++
			}
		}
	}

	slices.SortStableFunc(b.warnings, func(x, y Warning) int { return x.Line - y.Line })
	p := &Plan{
		Warnings:    b.warnings,
		Resumed:     b.resumed,
		UsersListed: b.usersListed,
		tables:      b.tables,
		updStart:    start,
		updRows:     updRows,
		shortfall:   shortfall,
	}
	p.users.freeze()
	p.userIDs.freeze()
	p.Customers = make([]string, len(b.customers))
	for i, c := range b.customers {
		p.Customers[i] = c.id
	}
	var used []int32
	for i := range b.skus {
		if b.skus[i].used {
			used = append(used, int32(i))
		}
	}
	slices.SortFunc(used, func(x, y int32) int {
		a, c := &b.skus[x], &b.skus[y]
		if a.cust != c.cust {
			return int(a.cust - c.cust)
		}
		if d := strings.Compare(a.name, c.name); d != 0 {
			return d
		}
		if d := strings.Compare(a.part, c.part); d != 0 {
			return d
		}
		return strings.Compare(a.id, c.id)
	})
	p.Capacity = make([]Capacity, len(used))
	for i, si := range used {
		s := &b.skus[si]
		p.Capacity[i] = Capacity{
			Customer:      p.Customers[s.cust],
			SkuID:         s.id,
			SkuName:       s.name,
			SkuPartNumber: s.part,
			LicenseGroup:  b.groups[s.group],
			Available:     s.available,
			Requested:     s.requested,
			Granted:       s.granted,
			Freed:         s.freed,
			LeftAfter:     s.available - s.granted + s.freed,
			Shortfall:     max(0, s.requested-s.available),
		}
	}
	for i := range p.customers {
		p.customers[i].byKey = nil // only needed while resolving
	}
	return p
}

package planner

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/planner/plannertest"
)

// TestUpdatesWithCollidingHashes plans the same file with the real user hash and with
// one under which every user collides: the plans must be the same.
func TestUpdatesWithCollidingHashes(t *testing.T) {
	var buf bytes.Buffer
	if err := plannertest.WriteCSV(&buf, plannertest.GenConfig{Rows: 3000, Customers: []string{
		"0c39d6d5-c70d-4c55-bc02-f620844f3fd1", "3a9d2c4e-5b1f-4e8a-9c7d-2f6b8e1a4c3d"}, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	// Add a user in two spellings, a duplicate and a contradiction-free swap.
	in := buf.String() +
		"Extra@Contoso.com,ENTERPRISEPACK,,,0c39d6d5-c70d-4c55-bc02-f620844f3fd1\n" +
		"extra@contoso.COM,AAD_PREMIUM,,,0c39d6d5-c70d-4c55-bc02-f620844f3fd1\n" +
		"extra@contoso.com,ENTERPRISEPACK,,,0c39d6d5-c70d-4c55-bc02-f620844f3fd1\n"
	cat := plannertest.NewCatalogue(plannertest.WithAvailable(plannertest.SampleSkus(), 100_000))
	plan := func() *Plan {
		p, err := Build(context.Background(), strings.NewReader(in), cat, Options{})
		if err != nil {
			t.Fatalf("Build: %v", err)
		}
		return p
	}
	want := plan()
	real := hashUser
	hashUser = func(int32, uint8, string) uint64 { return 42 }
	defer func() { hashUser = real }()
	got := plan()
	if got.NumRows() != want.NumRows() || got.NumChanges() != want.NumChanges() {
		t.Fatalf("colliding hashes: %d rows, %d updates; want %d, %d", got.NumRows(), got.NumChanges(), want.NumRows(), want.NumChanges())
	}
	for i := range want.NumRows() {
		if g, w := got.Row(i), want.Row(i); !reflect.DeepEqual(g, w) {
			t.Fatalf("row %d = %+v, want %+v", i, g, w)
		}
	}
	for i := range want.NumChanges() {
		if g, w := got.Change(i), want.Change(i); !reflect.DeepEqual(g, w) {
			t.Fatalf("update %d = %+v, want %+v", i, g, w)
		}
	}
	if !reflect.DeepEqual(got.Warnings, want.Warnings) || len(want.Warnings) == 0 {
		t.Errorf("warnings differ or are missing:\n got %+v\nwant %+v", got.Warnings, want.Warnings)
	}
	last := want.Change(want.Row(want.NumRows() - 1).Change)
	if len(last.Rows) != 3 || len(last.Assign) != 2 {
		t.Errorf("the extra user's update = %+v, want 3 rows assigning 2 SKUs", last)
	}
}

func TestSortedKeys(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 100, 5000, 300000} {
		keys := make([]uint64, n)
		for i := range keys {
			h := rng.Uint64() & 0xFFFF_0007_0000_0000 // few distinct values in some digits
			if i%3 == 0 {
				h = 0x8000_0001_0000_0000
			}
			keys[i] = h | uint64(i)
		}
		want := slices.Clone(keys)
		slices.SortStableFunc(want, func(a, b uint64) int {
			switch {
			case a>>32 < b>>32:
				return -1
			case a>>32 > b>>32:
				return 1
			}
			return 0
		})
		got := sortedKeys(n, func(i int) uint32 { return uint32(keys[i] >> 32) })
		if !slices.Equal(got, want) {
			t.Errorf("n=%d: sortedKeys differs from a stable sort", n)
		}
	}
}

func TestSuggest(t *testing.T) {
	cands := []candidate{
		{`"Office 365 Enterprise E3" (ENTERPRISEPACK)`, []string{"Office 365 Enterprise E3", "ENTERPRISEPACK"}},
		{`"Office 365 Enterprise E5" (ENTERPRISEPREMIUM)`, []string{"Office 365 Enterprise E5", "ENTERPRISEPREMIUM"}},
		{`"Windows 10 Enterprise E5" (WIN_ENT_E5)`, []string{"Windows 10 Enterprise E5", "WIN_ENT_E5"}},
		{`"Yammer Enterprise" (YAMMER_ENTERPRISE)`, []string{"Yammer Enterprise", "YAMMER_ENTERPRISE"}},
	}
	tests := []struct{ value, want string }{
		{"Ofice 365 E3", `did you mean "Office 365 Enterprise E3" (ENTERPRISEPACK)?`},
		{"enterprisepak", `did you mean "Office 365 Enterprise E3" (ENTERPRISEPACK)?`},
		{"E5", `did you mean "Windows 10 Enterprise E5" (WIN_ENT_E5) or "Office 365 Enterprise E5" (ENTERPRISEPREMIUM)?`},
		{"Enterprise", `did you mean "Office 365 Enterprise E3" (ENTERPRISEPACK), "Office 365 Enterprise E5" (ENTERPRISEPREMIUM) or "Yammer Enterprise" (YAMMER_ENTERPRISE)?`},
		{"Yamer", `did you mean "Yammer Enterprise" (YAMMER_ENTERPRISE)?`},
		{"Visio Plan 2", `it has "Office 365 Enterprise E3" (ENTERPRISEPACK), "Office 365 Enterprise E5" (ENTERPRISEPREMIUM), "Windows 10 Enterprise E5" (WIN_ENT_E5) and "Yammer Enterprise" (YAMMER_ENTERPRISE)`},
	}
	for _, tt := range tests {
		if got := suggest(tt.value, cands, "it has"); got != tt.want {
			t.Errorf("suggest(%q) =\n %s\nwant\n %s", tt.value, got, tt.want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "", 3}, {"", "abc", 3}, {"kitten", "sitting", 3}, {"ofice", "office", 1}, {"e3", "e5", 1}, {"Müller", "Muller", 1},
	}
	for _, tt := range tests {
		if got := editDistance([]rune(tt.a), []rune(tt.b)); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestUserMatching(t *testing.T) {
	tests := []struct {
		a, b string
		same bool
	}{
		{"amy@contoso.com", "AMY@Contoso.COM", true},
		{"amy@contoso.com", "amy@contoso.co", false},
		{"amy@contoso.com", "amz@contoso.com", false},
		{"Jürgen@contoso.com", "JÜRGEN@CONTOSO.COM", true},
		{"jürgen@contoso.com", "jurgen@contoso.com", false},
	}
	for _, tt := range tests {
		if got := sameUser([]byte(tt.a), tt.b); got != tt.same {
			t.Errorf("sameUser(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.same)
		}
		if tt.same && hashUser(1, 0, tt.a) != hashUser(1, 0, tt.b) {
			t.Errorf("hashUser differs for %q and %q", tt.a, tt.b)
		}
	}
	if hashUser(1, 0, "amy@contoso.com") == hashUser(2, 0, "amy@contoso.com") || hashUser(1, 0, "amy@contoso.com") == hashUser(1, 1, "amy@contoso.com") {
		t.Error("hashUser ignores the customer or the license group")
	}
}

func TestStorageAcrossChunks(t *testing.T) {
	var c chunked[int32]
	var a arena
	var refs []uint32
	var want []string
	for i := range 3*chunkLen + 5 {
		if got := c.add(int32(i)); got != i {
			t.Fatalf("add returned %d, want %d", got, i)
		}
		s := strings.Repeat(string(rune('a'+i%26)), i%1000+1)
		ref, err := a.add(s)
		if err != nil {
			t.Fatal(err)
		}
		refs, want = append(refs, ref), append(want, s)
	}
	for i := range c.len() {
		if *c.at(i) != int32(i) {
			t.Fatalf("at(%d) = %d", i, *c.at(i))
		}
		if got := string(a.bytes(refs[i], uint16(len(want[i])))); got != want[i] {
			t.Fatalf("arena bytes %d differ", i)
		}
	}
	if len(a.chunks) < 2 {
		t.Fatalf("arena used %d chunks, want several", len(a.chunks))
	}
	a.freeze()
	for i := range refs {
		if got := a.str(refs[i], uint16(len(want[i]))); got != want[i] {
			t.Fatalf("arena string %d = %q..., want %q...", i, got[:min(5, len(got))], want[i][:5])
		}
	}
}

// matchListing gives a fresh builder an update (of one row) per name, indexes them,
// matches users against them in listing order, as checkUsers does page by page, and
// returns for each name the listing index + 1 of the user that took it (0: none) and the
// builder.
func matchListing(t *testing.T, names []string, users []client.User) ([]int32, *builder) {
	t.Helper()
	b := &builder{updUser: make([]int32, len(names))}
	head := make([]int32, len(names))
	upds := make([]int32, len(names))
	for k, name := range names {
		ref, err := b.users.add(name)
		if err != nil {
			t.Fatal(err)
		}
		head[k] = int32(b.rows.add(rowRec{user: ref, userLen: uint16(len(name)), update: int32(k)}))
		upds[k] = int32(k)
	}
	x := newNameIndex(&b.rows, &b.users, len(upds), func(k int) int32 { return head[upds[k]] })
	var owner []int32 // per userRecs entry: the listing index of its user
	r := &customerReads{b: b, names: x, byID: true, byName: true}
	for i := range users {
		if err := r.match(&users[i]); err != nil {
			t.Fatal(err)
		}
		for len(owner) < len(b.userRecs) {
			owner = append(owner, int32(i))
		}
	}
	for r, i := range owner {
		rec, u := &b.userRecs[r], &users[i]
		state, wantState := "", strings.TrimSpace(u.State)
		if rec.state >= 0 {
			state = b.states[rec.state]
		}
		if strings.EqualFold(wantState, "active") {
			wantState = ""
		}
		id := string(b.userIDs.bytes(rec.id, rec.idLen))
		if rec.packed {
			id = unpackGUID(string(b.userIDs.bytes(rec.id, 16)))
		}
		if id != strings.TrimSpace(u.ID) || rec.noLocation != (strings.TrimSpace(u.UsageLocation) == "") || state != wantState {
			t.Errorf("record %d = ID %q, no location %v, state %q; want user %d, %+v", r, id, rec.noLocation, state, i, *u)
		}
	}
	got := make([]int32, len(names))
	for k, rec := range b.updUser {
		if rec != 0 {
			got[k] = owner[rec-1] + 1
		}
	}
	return got, b
}

// TestMatchUsersFindsEveryKey matches a large listing against names that are every
// user's object ID and principal name in several cases: each is taken by the first listed
// user it names, and no one else's.
func TestMatchUsersFindsEveryKey(t *testing.T) {
	const n = 20_000
	users := make([]client.User, n)
	for i := range users {
		users[i] = client.User{ID: fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i), PrincipalName: fmt.Sprintf("User%d@Contoso.com", i), UsageLocation: "US"}
	}
	users[7].PrincipalName = "  Jürgen@contoso.com "
	users[8].ID = ""             // not matched by ID
	users[9].State = "suspended" // recorded with its state
	users[10].UsageLocation = ""
	// User 5's ID listed again: the first takes the ID; the second is named by its own
	// principal name only.
	users = append(users, client.User{ID: users[5].ID, PrincipalName: "late@contoso.com"})
	// A user that no name names.
	users = append(users, client.User{ID: "f0000000-0000-4000-8000-000000000001", PrincipalName: "x"})
	var names []string
	var want []int32
	for i := range n {
		u := &users[i]
		for _, key := range []string{u.ID, strings.ToUpper(u.ID), u.PrincipalName, strings.ToLower(u.PrincipalName), strings.ToUpper(u.PrincipalName)} {
			if key = strings.TrimSpace(key); key != "" {
				names, want = append(names, key), append(want, int32(i)+1)
			}
		}
	}
	names, want = append(names, "LATE@contoso.com"), append(want, n+1) // the second user 5, by its own name
	for _, key := range []string{"user20000@contoso.com", "user1@contoso.co", "jurgen@contoso.com", "00000000-0000-4000-8000-00000000000g"} {
		names, want = append(names, key), append(want, 0)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	rng.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i]; want[i], want[j] = want[j], want[i] })
	got, b := matchListing(t, names, users)
	for k := range names {
		if got[k] != want[k] {
			t.Fatalf("%q taken by user %d, want %d (0: none)", names[k], got[k], want[k])
		}
	}
	if len(b.userRecs) != n+1 {
		t.Errorf("%d users recorded, want %d: each user that some name names, once", len(b.userRecs), n+1)
	}
	if len(b.states) != 1 || b.states[0] != "suspended" {
		t.Errorf("states = %q, want [suspended]", b.states)
	}

	// Two names that share the 32-bit hash are told apart by their text.
	seen := map[uint32]string{}
	var x, y string
	for i := 0; x == ""; i++ {
		name := fmt.Sprintf("u%d@contoso.com", i)
		h := uint32(foldHash(name) >> 32)
		if other, ok := seen[h]; ok {
			x, y = other, name
		}
		seen[h] = name
	}
	listing := []client.User{{PrincipalName: "x@contoso.com"}, {PrincipalName: x}, {PrincipalName: strings.ToUpper(y)}}
	names = []string{y, "x@contoso.com", strings.ToUpper(x), x}
	if got, _ := matchListing(t, names, listing); !slices.Equal(got, []int32{3, 1, 2, 2}) {
		t.Errorf("names %q and %q share a hash: taken by %v, want [3 1 2 2]", x, y, got)
	}
	// foldHash agrees with sameUser, which decides.
	for _, tt := range [][2]string{{"Jürgen@contoso.com", "JÜRGEN@CONTOSO.COM"}, {"amy@contoso.com", "AMY@Contoso.COM"}} {
		if !sameUser([]byte(tt[0]), tt[1]) || foldHash(tt[0]) != foldHash([]byte(tt[1])) {
			t.Errorf("%q and %q: sameUser %v, hashes %x and %x", tt[0], tt[1], sameUser([]byte(tt[0]), tt[1]), foldHash(tt[0]), foldHash([]byte(tt[1])))
		}
	}
}

// TestMatchUsersFirstListedWins checks that a name is taken by the first user listed
// with it, whether as object ID or as principal name, and that a user that takes no name
// is not recorded.
func TestMatchUsersFirstListedWins(t *testing.T) {
	const id = "11111111-1111-4111-8111-111111111111"
	listing := []client.User{
		{ID: "22222222-2222-4222-8222-222222222222", PrincipalName: "ann@contoso.com"},
		{ID: id, PrincipalName: "bea@contoso.com"},
		{ID: "33333333-3333-4333-8333-333333333333", PrincipalName: id}, // a principal name that is another user's ID
		{ID: "44444444-4444-4444-8444-444444444444", PrincipalName: "ANN@contoso.com"},
	}
	got, b := matchListing(t, []string{id, "ann@contoso.com", "Bea@Contoso.com", "ann@CONTOSO.com"}, listing)
	if want := []int32{2, 1, 2, 1}; !slices.Equal(got, want) {
		t.Errorf("taken by %v, want %v", got, want)
	}
	if len(b.userRecs) != 2 {
		t.Errorf("%d users recorded, want 2", len(b.userRecs))
	}
}

// TestPackGUID checks that object IDs written as GUIDs in lower case are packed into 16
// bytes and come back as written, and that no other text is packed.
func TestPackGUID(t *testing.T) {
	for _, id := range []string{"00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff",
		"0c39d6d5-c70d-4c55-bc02-f620844f3fd1", "a1b2c3d4-e5f6-0789-abcd-ef0123456789"} {
		b, ok := packGUID(id)
		if !ok {
			t.Errorf("packGUID(%q) refused", id)
			continue
		}
		if got := unpackGUID(string(b[:])); got != id {
			t.Errorf("unpackGUID(packGUID(%q)) = %q", id, got)
		}
	}
	for _, id := range []string{"", "0C39D6D5-C70D-4C55-BC02-F620844F3FD1", "0c39d6d5-c70d-4c55-bc02-F620844f3fd1",
		"0c39d6d5c70d-4c55-bc02-f620844f3fd1-", "{0c39d6d5-c70d-4c55-bc02-f620844f3fd}", "0c39d6d5-c70d-4c55-bc02-f620844f3fg1",
		"0c39d6d5-c70d-4c55-bc02-f620844f3fd1 ", "u1"} {
		if _, ok := packGUID(id); ok {
			t.Errorf("packGUID(%q) packed it: it would not come back as written", id)
		}
	}
}

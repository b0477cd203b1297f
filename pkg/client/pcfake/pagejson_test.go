package pcfake

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/client/partnercenter"
)

// trickyStrings need escaping in JSON, or look as if they might: quotes, backslashes,
// every control character, DEL, non-ASCII, HTML's <, > and &, U+2028 and U+2029,
// invalid UTF-8 (a stray byte, a cut sequence, an encoded surrogate).
var trickyStrings = func() []string {
	ss := []string{
		"", "plain", `say "hi"`, `C:\Users\ada`, `\"`, "é", "Zoë Ødegård", "日本語の名前", "emoji 🎉 here",
		"<b>&amp;</b>", "a<b>c&d", "line\u2028sep", "para\u2029sep", "\u2028\u2029",
		"\xff", "ab\xfe\xffcd", "cut \xe2\x80", "surrogate \xed\xa0\x80", "\x7f", "tab\tnew\nret\rbs\bff\f",
		"We&#39;re sorry, you\u2019ve run out",
	}
	var ctl strings.Builder
	for c := range 0x20 {
		ctl.WriteByte(byte(c))
		ss = append(ss, "x"+string(rune(c))+"y")
	}
	return append(ss, ctl.String())
}()

// encodingJSON is s as jsonAnswer encodes it: encoding/json without HTML escaping.
func encodingJSON(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// TestAppendJSONStringAsEncodingJSON: strings are encoded as encoding/json encodes them
// for jsonAnswer, escapes included.
func TestAppendJSONStringAsEncodingJSON(t *testing.T) {
	for _, s := range trickyStrings {
		if got, want := appendJSONString([]byte("prefix"), s), append([]byte("prefix"), encodingJSON(t, s)...); !bytes.Equal(got, want) {
			t.Errorf("%q:\ngot  %s\nwant %s", s, got, want)
		}
	}
}

// FuzzAppendJSONString: encoding/json and appendJSONString agree on every string.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := appendJSONString(nil, s), encodingJSON(t, s); !bytes.Equal(got, want) {
			t.Fatalf("%q:\ngot  %s\nwant %s", s, got, want)
		}
	})
}

// TestUserPageJSONAsEncodingJSON: a users page is encoded byte for byte as jsonAnswer
// encodes it, for pages with and without a next link, no items, nil items and
// headers, empty attributes, and users with every tricky string in every field.
func TestUserPageJSONAsEncodingJSON(t *testing.T) {
	var items []userItem
	for k, s := range trickyStrings {
		u := User{ID: s, UserPrincipalName: s + "@contoso.com", DisplayName: s, UsageLocation: s, State: s}
		if k%3 == 0 {
			u.State = ""
		}
		items = append(items, itemOf(&u))
	}
	items[1].Attributes = partnercenter.Attributes{}
	self := link{URI: "/customers/c/users?size=2&filter=" + trickyStrings[2], Method: http.MethodGet, Headers: []linkHeader{}}
	next := &link{URI: self.URI + "&seekOperation=Next", Method: "GET", Headers: []linkHeader{{Key: "MS-ContinuationToken", Value: "t<&>\"\\"}}}
	pages := []userPage{
		{TotalCount: len(items), Items: items, Links: userLinks{Self: self, Next: next}, Attributes: partnercenter.Attributes{ObjectType: "Collection"}},
		{TotalCount: 1, Items: items[:1], Links: userLinks{Self: self}, Attributes: partnercenter.Attributes{ObjectType: "Collection"}},
		{Items: []userItem{}, Links: userLinks{Self: self}, Attributes: partnercenter.Attributes{ObjectType: "Collection"}},
		{TotalCount: -3},
		{Links: userLinks{Next: &link{Headers: []linkHeader{{}, {Key: "k"}}}}},
	}
	for k := range pages {
		want := append(encodingJSON(t, pages[k]), '\n')
		a := pageAnswer(&pages[k])
		if a.status != http.StatusOK || !bytes.Equal(a.body, want) {
			t.Errorf("page %d: %d\ngot  %s\nwant %s", k, a.status, a.body, want)
		}
		a.recycle()
	}
}

// TestServedPagesAsEncodingJSON: each page the server answers, users with tricky
// strings listed 2 a page (and the deleted ones, with the filter), is the page
// encoding/json makes of the same users and links.
func TestServedPagesAsEncodingJSON(t *testing.T) {
	var users []User
	for k, s := range trickyStrings {
		u := User{ID: "id-" + strconv.Itoa(k), UserPrincipalName: s + "@contoso.com", DisplayName: s, UsageLocation: s}
		if k%4 == 1 {
			u.State = "inactive"
		}
		users = append(users, u)
	}
	s, err := New(WithCustomer(DefaultCustomerID, nil), WithUsers(DefaultCustomerID, users))
	if err != nil {
		t.Fatal(err)
	}
	for _, query := range []string{"size=2", "size=2&filter=" + deletedUsersFilter} {
		listed := 0
		token := ""
		for n := 1; ; n++ {
			body := getUsersPage(t, s, query, token)
			var p userPage // the links and counts as served; the users as the server holds them
			if err := json.Unmarshal(body, &p); err != nil {
				t.Fatalf("%s page %d: %v: %s", query, n, err, body)
			}
			for k := range p.Items {
				u := s.customers[strings.ToLower(DefaultCustomerID)].users[strings.ToLower(p.Items[k].ID)]
				p.Items[k] = itemOf(u)
			}
			listed += len(p.Items)
			if want := append(encodingJSON(t, p), '\n'); !bytes.Equal(body, want) {
				t.Fatalf("%s page %d:\ngot  %s\nwant %s", query, n, body, want)
			}
			if p.Links.Next == nil {
				break
			}
			token = p.Links.Next.Headers[0].Value
		}
		if listed == 0 {
			t.Errorf("%s: no users listed", query)
		}
	}
}

// getUsersPage answers a users GET of the default customer: the first page, or with a
// token the next.
func getUsersPage(t *testing.T, s *Server, query, token string) []byte {
	t.Helper()
	if token != "" {
		query += "&seekOperation=Next"
	}
	req := httptest.NewRequest(http.MethodGet, "https://pc.test/v1/customers/"+DefaultCustomerID+"/users?"+strings.ReplaceAll(query, `"`, "%22"), nil)
	req.Header.Set("Authorization", "Bearer test-token")
	if token != "" {
		req.Header.Set("MS-ContinuationToken", token)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET users?%s: %d %s", query, rec.Code, rec.Body)
	}
	return rec.Body.Bytes()
}

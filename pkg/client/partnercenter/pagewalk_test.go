package partnercenter

import (
	"encoding/json"
	"reflect"
	"testing"
	"unsafe"
)

// decodeByParts decodes a page as listPages does when the walk reads it.
func decodeByParts(body []byte) (page[listedUser], bool, error) {
	var p page[listedUser]
	items, links, ok := pageParts(body)
	if !ok {
		return p, false, nil
	}
	for _, raw := range links {
		if err := json.Unmarshal(raw, &p.Links); err != nil {
			return p, true, err
		}
	}
	for _, raw := range items {
		if err := json.Unmarshal(raw, &p.Items); err != nil {
			return p, true, err
		}
	}
	return p, true, nil
}

var pageSamples = []string{
	`{"totalCount":2,"items":[{"id":"a","userPrincipalName":"a@x","links":{"self":{"uri":"/u/a"}}},{"id":"b","state":"inactive"}],"links":{"next":{"uri":"/users?seek=1","method":"GET","headers":[{"key":"MS-ContinuationToken","value":"t"}]}},"attributes":{"objectType":"Collection"}}`,
	`{"links":{"next":{"uri":"/n"}},"items":[]}`,
	` { "Items" : [ {"id":"c","usageLocation":"US"} ] , "LINKS" : null } `,
	`{"items":[{"id":"a"}],"items":[{"id":"b"}]}`,
	`{"items":[{"id":"a","state":"x"},{"id":"c"}],"items":[{"userPrincipalName":"b"}]}`,
	`{"links":{"next":{"uri":"/a"}},"links":{"self":{"uri":"/s"}}}`,
	`{"items":[{"displayName":"brace } in \"text\" ]"}],"links":{}}`,
	`{}`,
	`{"totalCount":0}`,
}

// TestPagePartsDecodeAsTheWholePage: a page decoded from its parts is the page decoded
// whole, for pages of every shape the API and the fake send (the next link and each
// user's own links, keys in any case and order, repeated keys, brackets in strings).
func TestPagePartsDecodeAsTheWholePage(t *testing.T) {
	for _, s := range pageSamples {
		var whole page[listedUser]
		if err := json.Unmarshal([]byte(s), &whole); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		parts, ok, err := decodeByParts([]byte(s))
		if !ok || err != nil {
			t.Fatalf("%s: walked %v, %v", s, ok, err)
		}
		if !reflect.DeepEqual(parts, whole) {
			t.Errorf("%s:\nparts %+v\nwhole %+v", s, parts, whole)
		}
	}
}

// TestPagePartsRefuseWhatTheyCannotRead: the walk gives up (and the page is decoded
// whole, for its error) on what is not one object with matched brackets.
func TestPagePartsRefuseWhatTheyCannotRead(t *testing.T) {
	for _, s := range []string{``, `[]`, `{"items":[}`, `{"items":[1]} x`, `{"items":[1]`, `{"it\u0065ms":[]}`, `{"items" [1]}`, `{"items":[1],}`, `{"a":"unterminated}`, `{"items":[{]}`} {
		if _, _, ok := pageParts([]byte(s)); ok {
			t.Errorf("%q: walked", s)
		}
	}
}

// FuzzPageParts: whenever a body decodes whole, its parts decode to the same page.
func FuzzPageParts(f *testing.F) {
	for _, s := range pageSamples {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var whole page[listedUser]
		if json.Unmarshal(body, &whole) != nil {
			return
		}
		parts, ok, err := decodeByParts(body)
		if !ok {
			return // decoded whole instead
		}
		if err != nil {
			t.Fatalf("%q decodes whole but not by parts: %v", body, err)
		}
		if !reflect.DeepEqual(parts, whole) {
			t.Fatalf("%q:\nparts %+v\nwhole %+v", body, parts, whole)
		}
	})
}

var itemSamples = []string{
	`[{"id":"a","userPrincipalName":"a@x","usageLocation":"US","state":"active","links":{"self":{"uri":"/u/a"}},"attributes":{"objectType":"CustomerUser"}}]`,
	`[{"ID":"b","STATE":null,"state":"inactive","extra":[1,{"x":"}"}],"id":"b2"},null,{}]`,
	`null`,
	`[]`,
	` [ { "id" : "c" , "userPrincipalName" : "c\u00e9@x" } ] `,
	`[{"id":5}]`,
	`[{"id":"\ud800"}]`,
	`[{"displayName":"x","id":"é"}]`,
	`[{"ſtate":"s"}]`,
	`[1]`,
	`[{"id":"a"},]`,
	// Invalid JSON the walk must refuse, as json.Valid does, where it skips a value
	// or reads a field.
	`[{"id":"a","x":[1,]}]`,
	`[{"id":"a","x":{"k":1,}}]`,
	`[{"id":"a","x":{"k" 1}}]`,
	`[{"id":"a","x":01}]`,
	`[{"id":"a","x":1.}]`,
	`[{"id":"a","x":-}]`,
	`[{"id":"a","x":1e}]`,
	`[{"id":"a","x":[-0.5e+10, 2E-3, 0, true, false, null, "s", {}, []]}]`,
	`[{"id":"a","x":tru}]`,
	`[{"id":"a","x":nul}]`,
	`[{"id":nullx}]`,
	`[{"id":"a","x":"\q"}]`,
	`[{"id":"a","x":"\u12G4"}]`,
	`[{"id":"a","x":"tab	inside"}]`,
	"[{\"id\":\"a\",\"x\":\"\xff\xfe\"}]",
	"[{\"id\":\"\xff\"}]",
	`[{"id":"a"}] x`,
	`[{"id":"a"}]]`,
	`[{"id":"a"} {"id":"b"}]`,
	`[{"id":"a",}]`,
	`[{,"id":"a"}]`,
	`[{"id":"a"`,
	`[{"id":"a`,
	`nullx`,
	`null ]`,
	`[,]`,
	`[{"x":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],"id":"deep"}]`,
}

// TestListedUsersDecodeAsEncodingJSON: the lean decoder gives encoding/json's result,
// and its error, for items of every shape (escapes, null, case, repeated keys, types
// that do not fit, invalid JSON).
func TestListedUsersDecodeAsEncodingJSON(t *testing.T) {
	for _, s := range itemSamples {
		checkListedUsers(t, []byte(s))
	}
}

// TestListedUsersWalkReadsTheUsualPage: the items of a page as Partner Center sends
// it are read by the walk itself, not left to encoding/json.
func TestListedUsersWalkReadsTheUsualPage(t *testing.T) {
	type item struct {
		ID, UserPrincipalName, DisplayName, UsageLocation, State string
		Attributes                                               struct{ ObjectType string }
		Links                                                    map[string]any
	}
	items := make([]item, 3)
	for k := range items {
		items[k] = item{ID: "5d1e0b5e-0c2e-4c3f-9a47-1d2f3b4c5d6" + string(rune('0'+k)), UserPrincipalName: "user@contoso.com",
			DisplayName: "User", UsageLocation: "US", State: "active", Links: map[string]any{"self": map[string]any{"uri": "/u", "n": -1.5e3}}}
		items[k].Attributes.ObjectType = "CustomerUser"
	}
	raw, err := json.MarshalIndent(items, " ", "\t")
	if err != nil {
		t.Fatal(err)
	}
	var users []listedUser
	if err := walkListedUsers(raw, &users); err != nil || len(users) != 3 || users[2].ID != items[2].ID {
		t.Fatalf("walk of %s: %v, %+v", raw, err, users)
	}
}

// TestListedUsersShareRepeatedValues: a value equal to the user before's is that
// user's string, not a copy.
func TestListedUsersShareRepeatedValues(t *testing.T) {
	raw := []byte(`[{"id":"a","usageLocation":"US","state":"active"},{"id":"b","usageLocation":"US","state":"active"},{"id":"c","usageLocation":"NL","state":"active"}]`)
	var users []listedUser
	if err := walkListedUsers(raw, &users); err != nil || len(users) != 3 {
		t.Fatalf("walk: %v, %+v", err, users)
	}
	if unsafe.StringData(users[1].UsageLocation) != unsafe.StringData(users[0].UsageLocation) ||
		unsafe.StringData(users[2].State) != unsafe.StringData(users[0].State) {
		t.Errorf("repeated values are copies: %+v", users)
	}
	if users[2].UsageLocation != "NL" || users[1].ID != "b" {
		t.Errorf("users = %+v", users)
	}
}

// checkListedUsers decodes raw into nothing, and over a slice that holds users (as a
// repeated items key does), both ways.
func checkListedUsers(t *testing.T, raw []byte) {
	t.Helper()
	for _, earlier := range []int{0, 1, 3, -2} {
		held := func() []listedUser {
			switch {
			case earlier == 0:
				return nil
			case earlier < 0: // none held, but -earlier users within the capacity
				us := make([]listedUser, -earlier)
				for k := range us {
					us[k] = listedUser{ID: "stale", UsageLocation: "stale"}
				}
				return us[:0]
			}
			us := make([]listedUser, earlier, earlier+1)
			for k := range us {
				us[k] = listedUser{ID: "old", State: "old"}
			}
			return us
		}
		want, got := held(), held()
		if walked := held(); walkListedUsers(raw, &walked) == nil && !json.Valid(raw) {
			t.Fatalf("%q over %d: walked, but it is not valid JSON", raw, earlier)
		}
		werr := json.Unmarshal(raw, &want)
		gerr := decodeListedUsers(raw, &got)
		if (werr == nil) != (gerr == nil) || werr != nil && werr.Error() != gerr.Error() {
			t.Fatalf("%q over %d: error %v, encoding/json's %v", raw, earlier, gerr, werr)
		}
		if werr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q over %d:\ngot  %#v\nwant %#v", raw, earlier, got, want)
		}
	}
}

// FuzzListedUsers: the lean decoder and encoding/json agree on every input.
func FuzzListedUsers(f *testing.F) {
	for _, s := range itemSamples {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) { checkListedUsers(t, raw) })
}

package plannertest

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bulkassign/bulkassign/pkg/client"
)

// userIndex finds a customer's users by object ID or principal name without reading
// every user, so that a test can look a few users up in a directory of hundreds of
// thousands. It answers as a scan comparing with strings.EqualFold would: where a
// name is not ASCII, lower case and case folding may disagree, and it scans.
type userIndex struct {
	byID, byName map[string]int32   // lower-cased object ID or principal name -> first position
	more         map[string][]int32 // "i"+ID or "n"+name -> the positions after the first
	ascii        bool               // every indexed ID and name is ASCII
}

func newUserIndex(users []client.User) *userIndex {
	x := &userIndex{byID: make(map[string]int32, len(users)), byName: make(map[string]int32, len(users)),
		more: make(map[string][]int32), ascii: true}
	// Backwards, so that each key ends at its first position; then, only where some key
	// was taken twice, the later positions.
	for i := len(users) - 1; i >= 0; i-- {
		u := &users[i]
		x.ascii = x.ascii && isASCII(u.ID) && isASCII(u.PrincipalName)
		x.byID[strings.ToLower(u.ID)] = int32(i)
		x.byName[strings.ToLower(u.PrincipalName)] = int32(i)
	}
	if len(x.byID) < len(users) || len(x.byName) < len(users) {
		for i := range users {
			if key := strings.ToLower(users[i].ID); x.byID[key] != int32(i) {
				x.more["i"+key] = append(x.more["i"+key], int32(i))
			}
			if key := strings.ToLower(users[i].PrincipalName); x.byName[key] != int32(i) {
				x.more["n"+key] = append(x.more["n"+key], int32(i))
			}
		}
	}
	return x
}

// find appends to out the positions of the users whose object ID (or, with byName,
// principal name) equals name under strings.EqualFold.
func (x *userIndex) find(out []int, users []client.User, name string, byName bool) []int {
	if !x.ascii || !isASCII(name) {
		for i, u := range users {
			if strings.EqualFold(name, u.ID) || byName && strings.EqualFold(name, u.PrincipalName) {
				out = append(out, i)
			}
		}
		return out
	}
	key := strings.ToLower(name)
	get := func(m map[string]int32, kind string) {
		if i, ok := m[key]; ok {
			out = append(out, int(i))
			if len(x.more) > 0 { // only when some key was taken twice
				for _, j := range x.more[kind+key] {
					out = append(out, int(j))
				}
			}
		}
	}
	get(x.byID, "i")
	if byName {
		get(x.byName, "n")
	}
	return out
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// index returns the index of a customer's users, making it when first needed. The
// caller holds d.mu.
func (d *Directory) index(key string) *userIndex {
	if d.indexes == nil {
		d.indexes = make(map[string]*userIndex)
	}
	x := d.indexes[key]
	if x == nil {
		x = newUserIndex(d.users[key])
		d.indexes[key] = x
	}
	return x
}

// ActiveUsers returns n active users with usage location "US" who hold nothing, user i
// with object ID ObjectID(i) and principal name UserName(i): a large directory, made
// quickly.
func ActiveUsers(n int) []client.User {
	users := make([]client.User, n)
	const zeros = "000000000000"
	for i := range users {
		hex := strconv.FormatUint(uint64(i+1), 16)
		if len(hex) < len(zeros) {
			hex = zeros[len(hex):] + hex
		}
		users[i] = ActiveUser("00000000-0000-4000-8000-"+hex, "user"+strconv.Itoa(i+1)+"@contoso.com")
	}
	return users
}

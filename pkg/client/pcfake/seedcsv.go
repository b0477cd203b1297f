package pcfake

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// The seed files are read with encoding/csv rather than gocsv: their headers are
// matched in any case and spelling (user_principal_name, userPrincipalName), which
// gocsv does only through a process-wide header normaliser that the planner owns.

// ReadUsersCSV reads a user list for WithUsers from a CSV file with a header row.
// Columns, named in any case, with or without underscores:
//
//	user_principal_name  the user principal name (userPrincipalName)
//	id                   the object ID; when empty, made up as MakeUser does
//	usage_location       two letters, or empty for a user without one
//	state                active (or empty) or inactive (a deleted user)
//	display_name         the display name
//
// user_principal_name or id is required; the others are optional, and unknown columns
// are ignored. Every row needs a user principal name or an ID; no two rows may name
// the same user (by ID or user principal name, any case). A UTF-8 byte-order mark is
// tolerated. An error names the line.
func ReadUsersCSV(r io.Reader) ([]User, error) {
	cr, cols, err := readHeader(r, "read users",
		"userprincipalname", "id", "usagelocation", "state", "displayname")
	if err != nil {
		return nil, err
	}
	if cols["userprincipalname"] < 0 && cols["id"] < 0 {
		return nil, errors.New("read users: line 1: the header names neither user_principal_name nor id")
	}
	var users []User
	seen := map[string]int{} // lower-cased ID or name -> line
	for {
		rec, line, err := readRecord(cr, "read users")
		if err == io.EOF {
			return users, nil
		}
		if err != nil {
			return nil, err
		}
		u := User{
			ID:                field(rec, cols["id"]),
			UserPrincipalName: field(rec, cols["userprincipalname"]),
			UsageLocation:     field(rec, cols["usagelocation"]),
			State:             field(rec, cols["state"]),
			DisplayName:       field(rec, cols["displayname"]),
		}
		if u.ID == "" && u.UserPrincipalName == "" {
			return nil, fmt.Errorf("read users: line %d: neither a user principal name nor an ID", line)
		}
		if u.ID == "" {
			u.ID = MakeUser(u.UserPrincipalName).ID
		}
		if u.UsageLocation != "" && !isCountryCode(u.UsageLocation) {
			return nil, fmt.Errorf("read users: line %d: usage location %q is not two letters", line, u.UsageLocation)
		}
		if s := strings.ToLower(u.State); s != "" && s != "active" && s != "inactive" {
			return nil, fmt.Errorf("read users: line %d: state %q is neither active nor inactive", line, u.State)
		}
		for _, name := range []string{u.ID, u.UserPrincipalName} {
			if name == "" {
				continue
			}
			if prev, dup := seen[strings.ToLower(name)]; dup {
				return nil, fmt.Errorf("read users: line %d: user %s repeats line %d", line, name, prev)
			}
			seen[strings.ToLower(name)] = line
		}
		users = append(users, u)
	}
}

// ReadHoldingsCSV reads starting holdings for WithHoldings from a CSV file with a
// header row. Columns, named in any case, with or without underscores:
//
//	customer        the customer ID (optional: empty for WithHoldings' default customer)
//	user            the user's ID or user principal name (required)
//	sku             the product SKU ID (required; also sku_id)
//	excluded_plans  service plan IDs left out, separated by ';' (optional)
//
// Unknown columns are ignored; a UTF-8 byte-order mark is tolerated. An error names the
// line; each Holding keeps its line, so that WithHoldings names it too.
func ReadHoldingsCSV(r io.Reader) ([]Holding, error) {
	cr, cols, err := readHeader(r, "read holdings", "customer", "user", "sku", "skuid", "excludedplans")
	if err != nil {
		return nil, err
	}
	if cols["sku"] < 0 {
		cols["sku"] = cols["skuid"]
	}
	if cols["user"] < 0 || cols["sku"] < 0 {
		return nil, errors.New("read holdings: line 1: the header needs the columns user and sku")
	}
	var out []Holding
	for {
		rec, line, err := readRecord(cr, "read holdings")
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		h := Holding{Line: line, Customer: field(rec, cols["customer"]), User: field(rec, cols["user"]), SkuID: field(rec, cols["sku"])}
		if h.User == "" || h.SkuID == "" {
			return nil, fmt.Errorf("read holdings: line %d: a holding needs a user and a sku", line)
		}
		for _, p := range strings.Split(field(rec, cols["excludedplans"]), ";") {
			if p = strings.TrimSpace(p); p != "" {
				h.ExcludedPlans = append(h.ExcludedPlans, p)
			}
		}
		out = append(out, h)
	}
}

// readHeader skips a UTF-8 byte-order mark, reads the header row and finds the columns
// named (as headerKey spells them; -1 when absent). A column named twice is an error.
func readHeader(r io.Reader, op string, names ...string) (*csv.Reader, map[string]int, error) {
	br := bufio.NewReader(r)
	if head, err := br.Peek(3); err == nil && bytes.Equal(head, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, nil, fmt.Errorf("%s: the file is empty: no header row", op)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: header: %w", op, err)
	}
	cols := make(map[string]int, len(names))
	for _, n := range names {
		cols[n] = -1
	}
	for i, h := range header {
		key := headerKey(h)
		at, wanted := cols[key]
		switch {
		case !wanted:
		case at >= 0:
			return nil, nil, fmt.Errorf("%s: line 1: column %q appears twice", op, strings.TrimSpace(h))
		default:
			cols[key] = i
		}
	}
	return cr, cols, nil
}

// readRecord reads the next row and its line; io.EOF at the end.
func readRecord(cr *csv.Reader, op string) ([]string, int, error) {
	rec, err := cr.Read()
	if err == io.EOF {
		return nil, 0, io.EOF
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, 0, fmt.Errorf("%s: line %d: %w", op, pe.StartLine, pe.Err)
		}
		return nil, 0, fmt.Errorf("%s: %w", op, err)
	}
	line, _ := cr.FieldPos(0)
	return rec, line, nil
}

// headerKey folds a header name for matching: zero-width characters, spaces,
// underscores and hyphens removed, lower case (user_principal_name and
// userPrincipalName meet).
func headerKey(h string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '\u200B', '\u200C', '\u200D', '\uFEFF', ' ', '\t', '_', '-':
			return -1
		}
		return r
	}, strings.ToLower(h))
}

// field is the trimmed value of column i of rec; "" when the column is absent.
func field(rec []string, i int) string {
	if i < 0 || i >= len(rec) {
		return ""
	}
	return strings.TrimSpace(rec[i])
}

package report

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"time"
)

// Status is the outcome of one input row in the result CSV.
type Status string

const (
	StatusSucceeded Status = "succeeded"
	// StatusUnchanged is a row whose desired state already held: nothing was sent.
	StatusUnchanged Status = "unchanged"
	StatusFailed    Status = "failed"
	StatusSkipped   Status = "skipped"
	StatusPlanned   Status = "planned"
)

// statuses lists every status in the order the summaries show them.
var statuses = []Status{StatusSucceeded, StatusUnchanged, StatusFailed, StatusSkipped, StatusPlanned}

// statusList is the statuses for error messages: "succeeded, unchanged, ...".
const statusList = "succeeded, unchanged, failed, skipped, planned"

// Valid reports whether s is one of the statuses of the result CSV.
func (s Status) Valid() bool { return statusIndex(s) > 0 }

// statusIndex is s's place in statuses plus one; 0 for a status outside them.
func statusIndex(s Status) uint8 {
	for i, st := range statuses {
		if s == st {
			return uint8(i + 1)
		}
	}
	return 0
}

// Version is the version of a result CSV's format, told by its header.
type Version int

const (
	// Version1 is the 16-column format (HeaderV1) of bulkassign before row keys. It is
	// read, never appended to.
	Version1 Version = 1
	// Version2 is the current format (Header): Version1 plus excluded_plans and row_key.
	Version2 Version = 2
)

// HeaderV1 is the header of a Version1 result CSV.
var HeaderV1 = []string{"line", "customer", "user", "sku", "sku_id", "remove_sku", "license_group",
	"status", "http_status", "error_code", "error_message", "attempts", "request_id",
	"correlation_id", "finished_at", "user_id"}

// Header is the result CSV's header row (Version2), in column order: HeaderV1, then
// excluded_plans and row_key.
var Header = append(slices.Clip(HeaderV1), "excluded_plans", "row_key")

// Result is one row of the result CSV: what happened to one input data row.
type Result struct {
	Line          int
	Customer      string
	User          string
	Sku           string // as written in the input
	SkuID         string
	RemoveSku     string // as written in the input
	LicenseGroup  string
	Status        Status
	HTTPStatus    int // 0 writes an empty cell
	ErrorCode     string
	ErrorMessage  string
	Attempts      int
	RequestID     string
	CorrelationID string
	FinishedAt    time.Time // zero writes an empty cell; else RFC 3339 UTC
	// UserID is the user's object ID when known (a check of the users, or the row
	// naming the user by object ID), so that a row given by principal name carries both.
	UserID string
	// ExcludedPlans is the row's excluded_plans cell as written in the input.
	ExcludedPlans string
	// RowKey is the input row's RowKey, set by the caller; empty in a Version1 file.
	RowKey string
}

// RowKey fingerprints an input row's key columns, so that a resumed run can tell the
// row an earlier run wrote for a line from the row the input holds there now: 16
// lower-case hex characters of the SHA-256 of customer, user, SKU, SKU to remove and
// excluded plans, each trimmed and lower-cased; the excluded plans (as written,
// ';'-separated) are split, trimmed, stripped of empty and repeated entries and
// sorted. A row whose excluded plans changed gets another key; one that differs only
// in case, spacing or the order of its plans keeps its key.
func RowKey(customer, user, sku, removeSku, excludedPlans string) string {
	var plans []string
	for _, p := range strings.Split(excludedPlans, ";") {
		if p = keyPart(p); p != "" {
			plans = append(plans, p)
		}
	}
	slices.Sort(plans)
	plans = slices.Compact(plans)
	h := sha256.New()
	for _, part := range []string{keyPart(customer), keyPart(user), keyPart(sku), keyPart(removeSku)} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	h.Write([]byte(strings.Join(plans, ";")))
	sum := h.Sum(nil)
	return hex.EncodeToString(sum[:8])
}

func keyPart(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

package report

import "time"

// Status is the outcome of one input row in the result CSV.
type Status string

const (
	StatusSucceeded Status = "succeeded"
	StatusFailed    Status = "failed"
	StatusSkipped   Status = "skipped"
	StatusPlanned   Status = "planned"
)

// Header is the result CSV's header row, in column order: the columns issue 4 names,
// then user_id.
var Header = []string{"line", "customer", "user", "sku", "sku_id", "remove_sku", "license_group",
	"status", "http_status", "error_code", "error_message", "attempts", "request_id",
	"correlation_id", "finished_at", "user_id"}

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
}

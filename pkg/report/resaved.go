package report

import "bytes"

// resavedHint says, for the start of a file whose header is not bulkassign's, what
// shows it was saved again by a spreadsheet (Excel adds a byte-order mark, ends lines
// with CRLF and, in many locales, separates cells with ';'), and what to do; "" when
// nothing does. bulkassign reads its result and rollback files back as it wrote them:
// a spreadsheet may also rewrite times and numbers, which a resume cannot trust.
func resavedHint(first []byte) string {
	if i := bytes.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	var why string
	switch {
	case bytes.HasPrefix(first, []byte("\ufeff")):
		why = "it starts with a byte-order mark"
	case bytes.HasSuffix(first, []byte("\r")):
		why = "its lines end with CRLF"
	case bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")):
		why = "its cells are separated by ';'"
	default:
		return ""
	}
	return "; it looks saved again by a spreadsheet (" + why + "): use the file as bulkassign wrote it " +
		"(a copy opened in a spreadsheet is for reading), or start a new run with another output"
}

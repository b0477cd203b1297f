//go:build !unix

package report

// oNoFollow is 0 where the system has no O_NOFOLLOW: openRegular checks with Lstat.
const oNoFollow = 0

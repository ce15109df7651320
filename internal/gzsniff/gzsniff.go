// Package gzsniff recognises gzip-compressed input by its magic bytes, so that rotated logs,
// saved listings and `| gzip` exports are read without a flag.
package gzsniff

import (
	"bufio"
	"compress/gzip"
	"io"
)

// Decompress returns br's content: decompressed when br starts with the gzip magic
// (zipped true), else br itself. An error means the gzip header is broken.
func Decompress(br *bufio.Reader) (r io.Reader, zipped bool, err error) {
	magic, err := br.Peek(2)
	if err != nil || magic[0] != 0x1f || magic[1] != 0x8b {
		return br, false, nil
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, true, err
	}
	return zr, true, nil
}

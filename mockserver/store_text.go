package mockserver

import "unsafe"

// textArena holds strings of an account's sessions (their external ids) in chunks of bytes,
// which hold no pointers, so that the garbage collector marks a chunk without reading it rather
// than every string. A string is added once and never changed: get returns a string that shares
// the chunk's bytes, which stay valid for as long as anything holds the string, even after the
// arena lets go of the chunk. A chunk is let go once every string in it is released; sessions
// expire in the order they were created, so whole chunks go as pruning moves on.
type textArena struct {
	chunks [][]byte // nil: free for reuse
	live   []int32  // per chunk, how many strings it holds
	free   []uint32 // free chunk numbers
	cur    uint32   // the chunk strings are added to, when hasCur
	hasCur bool
}

// textChunkSize is the size of a chunk; a string longer than a quarter of it gets a chunk of its
// own.
const textChunkSize = 16 << 10

// textRef is a string in a textArena; the zero textRef is the empty string.
type textRef struct {
	chunk, off, n uint32
}

// add copies s into the arena.
func (a *textArena) add(s string) textRef {
	if s == "" {
		return textRef{}
	}
	if len(s) > textChunkSize/4 {
		c := a.newChunk(len(s))
		a.chunks[c] = append(a.chunks[c], s...)
		a.live[c] = 1
		return textRef{chunk: c, n: uint32(len(s))}
	}
	if !a.hasCur || cap(a.chunks[a.cur])-len(a.chunks[a.cur]) < len(s) {
		if a.hasCur && a.live[a.cur] == 0 {
			a.drop(a.cur)
		}
		a.cur, a.hasCur = a.newChunk(textChunkSize), true
	}
	b := a.chunks[a.cur]
	r := textRef{chunk: a.cur, off: uint32(len(b)), n: uint32(len(s))}
	a.chunks[a.cur] = append(b, s...) // within the chunk's capacity: no string already given moves
	a.live[a.cur]++
	return r
}

// get returns the string r refers to, sharing the arena's bytes.
func (a *textArena) get(r textRef) string {
	if r.n == 0 {
		return ""
	}
	return unsafe.String(&a.chunks[r.chunk][r.off], r.n)
}

// release lets go of the string r refers to.
func (a *textArena) release(r textRef) {
	if r.n == 0 {
		return
	}
	if a.live[r.chunk]--; a.live[r.chunk] == 0 && (!a.hasCur || r.chunk != a.cur) {
		a.drop(r.chunk)
	}
}

// newChunk returns the number of a new, empty chunk of capacity size.
func (a *textArena) newChunk(size int) uint32 {
	b := make([]byte, 0, size)
	if k := len(a.free); k > 0 {
		c := a.free[k-1]
		a.free = a.free[:k-1]
		a.chunks[c], a.live[c] = b, 0
		return c
	}
	a.chunks, a.live = append(a.chunks, b), append(a.live, 0)
	return uint32(len(a.chunks) - 1)
}

// drop lets go of chunk c, which holds no string any more.
func (a *textArena) drop(c uint32) {
	a.chunks[c] = nil
	a.free = append(a.free, c)
	if a.hasCur && a.cur == c {
		a.hasCur = false
	}
}

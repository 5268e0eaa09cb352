/*
 * base64.c - see base64.h.
 */
#include "util/base64.h"

/* Each alphabet character's value + 1; 0 for every other byte. */
static const uint8_t b64_value[256] = {
    ['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7, ['H'] = 8,
    ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15,
    ['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22,
    ['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29,
    ['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36,
    ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42, ['q'] = 43,
    ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49, ['x'] = 50,
    ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56, ['4'] = 57,
    ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64,
};

int
base64_decode_plain(const uint8_t *in, size_t len, uint8_t *out, size_t *out_len)
{
	const uint8_t *p = in, *end = in + len;
	uint32_t acc = 0;
	size_t o = 0;
	int n = 0, pad = 0;

	while (p < end) {
		uint8_t v = b64_value[*p];

		/* Four alphabet characters at a quantum's start: the body of every line. */
		if (n == 0 && pad == 0 && end - p >= 4) {
			uint32_t a = b64_value[p[0]], b = b64_value[p[1]], c = b64_value[p[2]],
				 d = b64_value[p[3]];
			if (a != 0 && b != 0 && c != 0 && d != 0) {
				uint32_t q = (a - 1) << 18 | (b - 1) << 12 | (c - 1) << 6 | (d - 1);
				out[o++] = (uint8_t)(q >> 16);
				out[o++] = (uint8_t)(q >> 8);
				out[o++] = (uint8_t)q;
				p += 4;
				continue;
			}
		}
		if (v != 0 && pad == 0) {
			acc = acc << 6 | (uint32_t)(v - 1);
			if (++n == 4) {
				out[o++] = (uint8_t)(acc >> 16);
				out[o++] = (uint8_t)(acc >> 8);
				out[o++] = (uint8_t)acc;
				n = 0;
				acc = 0;
			}
		} else if (*p == '=' && n >= 2 && pad < 2) {
			pad++; /* "xx==" or "xxx=": the quantum's last one or two characters */
			acc <<= 6;
			if (++n == 4) {
				out[o++] = (uint8_t)(acc >> 16);
				if (pad == 1)
					out[o++] = (uint8_t)(acc >> 8);
				n = 0;
			}
		} else if (*p != '\n' && *p != '\r') {
			return -1; /* anything else, or a character after the padding */
		}
		p++;
	}
	if (n != 0)
		return -1;
	*out_len = o;
	return 0;
}

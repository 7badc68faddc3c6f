/*
 * hex.h - the value of one hexadecimal digit, for the decoders of
 * %XX (HTTP URIs, form data, quoted-printable) and \xNN (Zeek log
 * escapes).  One definition instead of one per parser; inline because
 * it sits in byte loops.
 */
#ifndef VIGIL_CORE_HEX_H
#define VIGIL_CORE_HEX_H

/* 0-15 for '0'-'9', 'a'-'f', 'A'-'F'; -1 for any other value (EOF too). */
static inline int core_hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

#endif

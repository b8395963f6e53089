/** @file 128-bit integers for exact intermediate products (GCC and clang, every 64-bit target). */
#ifndef PB_INT128_H
#define PB_INT128_H

/* __extension__ keeps -Wpedantic quiet: __int128 is a GNU extension both compilers support. */
__extension__ typedef __int128 pb_i128;
__extension__ typedef unsigned __int128 pb_u128;

#endif

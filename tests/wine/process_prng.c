/* Wine 8 (Debian 12) lacks bcryptprimitives.dll, whose ProcessPrng Rust's std
 * imports for randomness, so a Rust .exe fails to load under it. This stand-in
 * exports ProcessPrng on top of BCryptGenRandom with the system RNG; the test
 * harness puts it next to the .exe. Never shipped. */
#include <windows.h>
#include <bcrypt.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    return BCryptGenRandom(NULL, data, (ULONG)len, BCRYPT_USE_SYSTEM_PREFERRED_RNG) == 0;
}

package main

// sysSendmmsg is sendmmsg's system call number (the syscall package
// lacks it on amd64).
const sysSendmmsg = 307

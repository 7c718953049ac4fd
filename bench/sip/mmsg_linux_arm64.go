package main

// sysSendmmsg is sendmmsg's system call number.
const sysSendmmsg = 269

# rules.mk: the part of an OpenWrt build tree's rules.mk that openwrt/bc260y/Makefile
# uses, with OpenWrt's values, so that openwrt_root_test.sh runs the Makefile's own
# recipes (prepare, the three packages' install) with no SDK. STAGING_DIR is the host's
# root: the Lua headers are the host's (Debian's lua5.4), as the target's would be.
INCLUDE_DIR:=$(TOPDIR)/include
STAGING_DIR?=
INSTALL_DIR:=install -d -m0755
INSTALL_BIN:=install -m0755
INSTALL_DATA:=install -m0644
INSTALL_CONF:=install -m0600
CP:=cp -fpR
LN:=ln -sf

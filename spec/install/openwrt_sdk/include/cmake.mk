# cmake.mk: nothing of OpenWrt's is needed; openwrt_root_test.sh configures CMake itself
# with the Makefile's CMAKE_OPTIONS (make print-CMAKE_OPTIONS), the prefix /usr and
# DESTDIR as OpenWrt's cmake.mk would.

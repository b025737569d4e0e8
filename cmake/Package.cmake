# CPack: a Debian package with vtpsd, vtpsctl, the systemd unit, the default config and the docs.
# The appliance image installs it. `cmake --build build --target package` writes build/vtps_*.deb.
install(FILES ${PROJECT_SOURCE_DIR}/appliance/dist/vtps.yaml DESTINATION /etc/vtps)
install(FILES ${PROJECT_SOURCE_DIR}/appliance/dist/default-decryption-policy.txt
        DESTINATION /etc/vtps)
install(FILES ${PROJECT_SOURCE_DIR}/appliance/dist/vtpsd.service DESTINATION /lib/systemd/system)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME vtps)
set(CPACK_PACKAGE_VENDOR "vtps developers")
set(CPACK_PACKAGE_CONTACT "vtps developers <vtps@example.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "nftables, ca-certificates")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/appliance/dist/conffiles)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
include(CPack)
